using System.Collections.Concurrent;

namespace FastIo.Transports.Http;

/// <summary>
/// One periodic timer per <see cref="TimeProvider"/> (in practice: per server) that checks the
/// deadlines of all its connections, instead of a timer per request. Deadlines therefore have a
/// resolution of <see cref="Interval"/>, which is plenty for second-scale timeouts. The instance also
/// owns the shared Date header cache. Reference counted: the timer stops at the first tick that finds no connection.
/// </summary>
/// <remarks>
/// Not at the last <see cref="Unregister"/>: a WebSocket connect is an HTTP connection only until its upgrade, a few
/// microseconds, so a server taking connects one after another (on one epoll loop, each upgraded before the next is
/// read) went to zero connections at every connect and built a new heartbeat each time: a timer created and disposed
/// (the timer queue's lock), a dictionary, and a Date line formatted again for the 101 (bench/RESULTS.md, "connect").
/// </remarks>
internal sealed class HttpHeartbeat
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static readonly Lock s_lock = new();
    private static readonly Dictionary<TimeProvider, HttpHeartbeat> s_instances = new(ReferenceEqualityComparer.Instance);

    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentDictionary<HttpConnection, byte> _connections = new();
    private readonly ITimer _timer;
    private int _refCount; // under s_lock
    private bool _stopped; // under s_lock
    private int _ticking;

    private HttpHeartbeat(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        DateHeader = new HttpDateHeader(timeProvider);
        _timer = timeProvider.CreateTimer(static state => ((HttpHeartbeat)state!).OnTick(), this, Interval, Interval);
    }

    public HttpDateHeader DateHeader { get; }

    public TimeProvider TimeProvider => _timeProvider;

    /// <summary>Gets (or starts) the heartbeat of <paramref name="timeProvider"/> and registers <paramref name="connection"/>.</summary>
    public static HttpHeartbeat Register(TimeProvider timeProvider, HttpConnection connection)
    {
        HttpHeartbeat heartbeat;
        lock (s_lock)
        {
            if (!s_instances.TryGetValue(timeProvider, out heartbeat!))
            {
                heartbeat = new HttpHeartbeat(timeProvider);
                s_instances.Add(timeProvider, heartbeat);
            }

            heartbeat._refCount++;
        }

        heartbeat._connections.TryAdd(connection, 0);
        return heartbeat;
    }

    public void Unregister(HttpConnection connection)
    {
        _connections.TryRemove(connection, out _);
        lock (s_lock)
        {
            _refCount--; // at zero the next tick stops the timer, unless a connection registers before it
        }
    }

    /// <summary>Stops the timer if no connection is registered; the next one to register starts a new heartbeat.</summary>
    private bool TryStop()
    {
        lock (s_lock)
        {
            if (_refCount != 0 || _stopped)
            {
                return _stopped;
            }

            _stopped = true;
            s_instances.Remove(_timeProvider);
        }

        _timer.Dispose();
        return true;
    }

    /// <summary>Current time in UTC ticks, the unit of connection deadlines.</summary>
    public long NowTicks => _timeProvider.GetUtcNow().UtcTicks;

    private void OnTick()
    {
        // A slow tick (many connections, busy pool) must not overlap the next one.
        if (Interlocked.Exchange(ref _ticking, 1) == 1 || TryStop())
        {
            return;
        }

        try
        {
            var now = NowTicks;
            foreach (var entry in _connections)
            {
                entry.Key.OnHeartbeat(now);
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }
}
