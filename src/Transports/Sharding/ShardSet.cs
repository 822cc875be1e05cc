using FastIo.EngineIO;
using Microsoft.Extensions.Logging;

namespace FastIo.Transports.Sharding;

/// <summary>
/// The shards of a host: one <see cref="ShardScheduler"/> each. A request is routed by the shard named in its
/// sid (<see cref="EngineSessionId"/>), a handshake to the shard with the fewest sessions.
/// </summary>
internal sealed class ShardSet
{
    private readonly ShardScheduler[] _shards;

    public ShardSet(int count, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, EngineSessionId.MaxShard + 1);
        _shards = new ShardScheduler[count];
        for (var i = 0; i < count; i++)
        {
            _shards[i] = new ShardScheduler(i, logger);
        }
    }

    public int Count => _shards.Length;

    public ShardScheduler this[int index] => _shards[index];

    /// <summary>Schedules work on shard <paramref name="shard"/> (any index is folded into range).</summary>
    public void Dispatch(int shard, Action<object?> action, object? state) =>
        _shards[(uint)shard % (uint)_shards.Length].Schedule(action, state);

    /// <summary>
    /// The shard that owns <paramref name="sid"/>. A sid that is not of FastIo's shape, or names a shard this host
    /// does not have, still gets a shard (the engine then answers "Session ID unknown" from there).
    /// </summary>
    public ShardScheduler ForSid(string sid) =>
        _shards[EngineSessionId.TryParse(sid, out var shard, out _) && shard < _shards.Length ? shard : 0];
}
