using System.IO.Pipelines;
using FastIo.Transports.Sharding;

namespace FastIo.Transports.Http;

/// <summary>
/// The request/response pair handed to <see cref="IHttpApplication.HandleAsync"/>. One instance per
/// connection, reset between requests; valid only until the handler's task completes.
/// </summary>
internal sealed class HttpContext
{
    private readonly HttpConnection _connection;
    private readonly Lock _abortLock = new();
    private CancellationTokenSource? _abortSource;
    private bool _aborted;

    // The allocation-free form of RequestAborted for the transport's own long-polling GET (one per ack in S6): a
    // callback and its two arguments in fields instead of a CancellationTokenSource, its registration and a state
    // object per request (~280 B per GET, bench/RESULTS.md 2026-11-26 "polling abort"). Under _abortLock.
    private (Action<object, object> Callback, object Argument1, object Argument2)? _onAbort;

    internal HttpContext(HttpConnection connection)
    {
        _connection = connection;
    }

    public HttpRequest Request { get; } = new();

    public HttpResponse Response { get; } = new();

    /// <summary>
    /// Cancelled when the peer closes the connection (its input completes, FIN or RST) while
    /// <see cref="IHttpApplication.HandleAsync"/> is still pending. The response of an aborted request
    /// is not written. The source is created lazily, so requests that never look at it allocate nothing.
    /// Limitation: once bytes of a pipelined next request arrive during the handler, the connection stops
    /// watching (it must not consume them), so a close after that is only noticed at the next read.
    /// </summary>
    public CancellationToken RequestAborted
    {
        get
        {
            lock (_abortLock)
            {
                if (_aborted)
                {
                    return new CancellationToken(canceled: true);
                }

                _abortSource ??= new CancellationTokenSource();
                return _abortSource.Token;
            }
        }
    }

    /// <summary>
    /// Switches the connection to another protocol (WebSocket): writes <c>HTTP/1.1 101 Switching
    /// Protocols</c> with <see cref="Response"/>'s headers (the caller sets Upgrade, Connection and
    /// Sec-WebSocket-Accept), flushes, and returns the raw connection pipe. Bytes the client sent after
    /// the request head are still readable from the returned pipe's Input. May be called at most once,
    /// from within HandleAsync; when HandleAsync returns, the connection is closed.
    /// </summary>
    /// <param name="flush">
    /// False leaves the 101 in the output buffer, to leave with whatever the caller's protocol writes and flushes first
    /// (one send instead of two); the caller must then write and flush promptly.
    /// </param>
    public ValueTask<IDuplexPipe> AcceptUpgradeAsync(bool flush = true) => _connection.AcceptUpgradeAsync(writeSwitchingProtocols: true, flush);

    /// <summary>
    /// Takes the raw connection over without writing any response: the caller relays another server's answer (a
    /// tunnelled WebSocket upgrade). Bytes the client sent after the request head are readable from the returned
    /// pipe's Input. Same rules as <see cref="AcceptUpgradeAsync"/>: at most once, and the connection closes when
    /// HandleAsync returns.
    /// </summary>
    public ValueTask<IDuplexPipe> DetachAsync() => _connection.AcceptUpgradeAsync(writeSwitchingProtocols: false);

    /// <summary>
    /// After <see cref="AcceptUpgradeAsync"/>: <paramref name="protocol"/> (e.g. a WebSocket connection) owns the
    /// connection from now on, so HandleAsync may return at once. The HTTP request loop then ends without completing
    /// the transport and lets go of its request state, and the host closes the connection when
    /// <paramref name="protocol"/> reports its end (having completed the transport itself). An upgraded connection
    /// lives for hours: this keeps only the protocol's own state per idle connection instead of every pending frame of
    /// the HTTP → application → protocol chain and the HTTP objects beside it.
    /// </summary>
    public void HandOff(IUpgradedProtocol protocol) => _connection.HandOff(protocol);

    /// <summary>
    /// Continues the request on <paramref name="shard"/>, and points the connection's input there so that its next
    /// reads (the next request, or the frames after a WebSocket upgrade) start on that shard without a hop.
    /// </summary>
    public ShardScheduler.SwitchAwaitable MoveToShard(ShardScheduler shard)
    {
        if (_connection.Scheduler is { } scheduler)
        {
            scheduler.Target = shard;
        }

        return shard.SwitchTo();
    }

    /// <summary>
    /// Runs <paramref name="callback"/> with the two arguments when the peer goes away while the handler is pending,
    /// as a registration on <see cref="RequestAborted"/> would, without allocating; one callback at a time, until
    /// <see cref="ClearAbortCallback"/>. Returns false, keeping nothing, when the request is aborted already. The
    /// callback may still run just after <see cref="ClearAbortCallback"/> when the abort raced with it: it must be
    /// harmless then.
    /// </summary>
    internal bool SetAbortCallback(Action<object, object> callback, object argument1, object argument2)
    {
        lock (_abortLock)
        {
            if (_aborted)
            {
                return false;
            }

            _onAbort = (callback, argument1, argument2);
            return true;
        }
    }

    /// <summary>Forgets the callback of <see cref="SetAbortCallback"/>.</summary>
    internal void ClearAbortCallback()
    {
        lock (_abortLock)
        {
            _onAbort = null;
        }
    }

    internal bool IsAborted
    {
        get
        {
            lock (_abortLock)
            {
                return _aborted;
            }
        }
    }

    /// <summary>Called by the connection's input watcher when the peer went away.</summary>
    internal void Abort()
    {
        CancellationTokenSource? source;
        (Action<object, object> Callback, object Argument1, object Argument2)? onAbort;
        lock (_abortLock)
        {
            if (_aborted)
            {
                return;
            }

            _aborted = true;
            source = _abortSource;
            onAbort = _onAbort;
            _onAbort = null;
        }

        // Outside the lock: callbacks registered by the application run synchronously here. The transport's own
        // callback runs even when one of those throws (Cancel runs them all, then throws), as it did when it was one
        // of the source's registrations.
        try
        {
            source?.Cancel();
        }
        finally
        {
            if (onAbort is { } abort)
            {
                abort.Callback(abort.Argument1, abort.Argument2);
            }
        }
    }

    internal void Reset()
    {
        lock (_abortLock)
        {
            // A source that was never cancelled is simply dropped: reusing it (TryReset) would keep
            // callbacks the previous request registered.
            _abortSource = null;
            _aborted = false;
            _onAbort = null;
        }

        Response.Reset();
    }
}
