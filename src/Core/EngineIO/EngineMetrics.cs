using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;

namespace FastIo.EngineIO;

/// <summary>
/// Per-shard counters of one <see cref="EngineServer"/> (open sessions, messages received and sent), published
/// through <see cref="System.Diagnostics.Metrics"/> as the meter <c>FastIo</c>: <c>fastio.sessions</c>,
/// <c>fastio.messages.received</c> and <c>fastio.messages.sent</c>, tagged with <c>fastio.shard</c> and
/// <c>fastio.path</c>.
/// </summary>
/// <remarks>
/// The instruments are observable: the hot path only bumps a counter in its shard's own cache line (no shared
/// line bounces between cores), and nothing is computed unless a listener collects.
/// </remarks>
internal sealed class EngineMetrics : IDisposable
{
    /// <summary>The meter's name, for <c>MeterListener</c>s and <c>dotnet-counters --counters FastIo</c>.</summary>
    public const string MeterName = "FastIo";

    private readonly Meter _meter;
    private readonly string _path;
    private ShardCounters[] _shards = new ShardCounters[1];
    private int _nextStart;

    public EngineMetrics(string path)
    {
        _path = path;
        _meter = new Meter(MeterName);
        _meter.CreateObservableUpDownCounter("fastio.sessions", () => Observe(Field.Sessions), "{session}", "Open Engine.IO sessions per shard.");
        _meter.CreateObservableCounter("fastio.messages.received", () => Observe(Field.Received), "{message}", "Messages received from clients per shard.");
        _meter.CreateObservableCounter("fastio.messages.sent", () => Observe(Field.Sent), "{message}", "Messages queued for clients per shard.");
    }

    private enum Field
    {
        Sessions,
        Received,
        Sent,
    }

    /// <summary>The number of shards counted.</summary>
    public int ShardCount => _shards.Length;

    /// <summary>Sets the number of shards; only before the first session.</summary>
    public void SetShardCount(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        _shards = new ShardCounters[count];
    }

    public long SessionsOf(int shard) => Volatile.Read(ref _shards[shard].Sessions);

    public long ReceivedOf(int shard) => Volatile.Read(ref _shards[shard].Received);

    public long SentOf(int shard) => Volatile.Read(ref _shards[shard].Sent);

    public void SessionOpened(int shard) => Interlocked.Increment(ref Slot(shard).Sessions);

    public void SessionClosed(int shard) => Interlocked.Decrement(ref Slot(shard).Sessions);

    public void MessageReceived(int shard) => Interlocked.Increment(ref Slot(shard).Received);

    public void MessageSent(int shard) => Interlocked.Increment(ref Slot(shard).Sent);

    /// <summary>
    /// Picks the shard with the least load — open sessions plus handshakes routed there and not finished — for a new
    /// session, and counts the handshake against it until <see cref="EndHandshake"/>. Counting at routing time matters:
    /// a shard that is slow to run its handshakes would otherwise keep looking empty and attract every new session.
    /// The scan starts at a rotating shard and keeps the first of equals, so a burst spreads round-robin.
    /// </summary>
    public int BeginHandshake()
    {
        var shards = _shards;
        var start = (int)((uint)Interlocked.Increment(ref _nextStart) % (uint)shards.Length);
        var best = start;
        var bestLoad = long.MaxValue;
        for (var n = 0; n < shards.Length; n++)
        {
            var i = start + n < shards.Length ? start + n : start + n - shards.Length;
            var load = Volatile.Read(ref shards[i].Sessions) + Volatile.Read(ref shards[i].Handshakes);
            if (load < bestLoad)
            {
                best = i;
                bestLoad = load;
            }
        }

        Interlocked.Increment(ref shards[best].Handshakes);
        return best;
    }

    /// <summary>The handshake counted by <see cref="BeginHandshake"/> is over (its session, if any, counts by itself now).</summary>
    public void EndHandshake(int shard) => Interlocked.Decrement(ref Slot(shard).Handshakes);

    public void Dispose() => _meter.Dispose();

    /// <summary>A sid of another configuration (fewer shards then) still counts somewhere rather than failing.</summary>
    private ref ShardCounters Slot(int shard)
    {
        var shards = _shards;
        return ref shards[(uint)shard % (uint)shards.Length];
    }

    private Measurement<long>[] Observe(Field field)
    {
        var shards = _shards;
        var measurements = new Measurement<long>[shards.Length];
        for (var i = 0; i < shards.Length; i++)
        {
            var value = field switch
            {
                Field.Sessions => Volatile.Read(ref shards[i].Sessions),
                Field.Received => Volatile.Read(ref shards[i].Received),
                _ => Volatile.Read(ref shards[i].Sent),
            };
            measurements[i] = new Measurement<long>(value, new KeyValuePair<string, object?>("fastio.shard", i), new KeyValuePair<string, object?>("fastio.path", _path));
        }

        return measurements;
    }

    /// <summary>One shard's counters, alone in a 64-byte cache line.</summary>
    [StructLayout(LayoutKind.Explicit, Size = 64)]
    private struct ShardCounters
    {
        [FieldOffset(0)]
        public long Sessions;

        [FieldOffset(8)]
        public long Received;

        [FieldOffset(16)]
        public long Sent;

        [FieldOffset(24)]
        public long Handshakes;
    }
}
