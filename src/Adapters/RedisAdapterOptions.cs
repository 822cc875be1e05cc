namespace FastIo.Adapters.Redis;

/// <summary>
/// Options of the Redis adapters; names and defaults as @socket.io/redis-adapter 8.3's <c>createAdapter</c> and
/// <c>createShardedAdapter</c> (whose <c>channelPrefix</c> is <see cref="Key"/> here).
/// </summary>
public sealed class RedisAdapterOptions
{
    /// <summary>The channel prefix (Node's <c>key</c>); never share one between adapter kinds (redis-wire.md §2.10).</summary>
    public string Key { get; set; } = "socket.io";

    /// <summary>How long fetchSockets, allRooms and serverSideEmit with acks wait for the other servers.</summary>
    public TimeSpan RequestsTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Sharded adapter only: which channels to SSUBSCRIBE (Node's default is dynamic).</summary>
    public ShardedSubscriptionMode SubscriptionMode { get; set; } = ShardedSubscriptionMode.Dynamic;

    /// <summary>Classic adapter only: answer on the requester's own response channel rather than the common one.</summary>
    public bool PublishOnSpecificResponseChannel { get; set; }
}
