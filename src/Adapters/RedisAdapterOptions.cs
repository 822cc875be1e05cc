namespace FastIo.Adapters.Redis;

/// <summary>Options of the Redis adapter; names and defaults as @socket.io/redis-adapter 8.3's <c>createAdapter</c>.</summary>
public sealed class RedisAdapterOptions
{
    /// <summary>The channel prefix (Node's <c>key</c>); never share one between adapter kinds (redis-wire.md §2.10).</summary>
    public string Key { get; set; } = "socket.io";

    /// <summary>How long fetchSockets, allRooms and serverSideEmit with acks wait for the other servers.</summary>
    public TimeSpan RequestsTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Answer on the requester's own response channel rather than the common one.</summary>
    public bool PublishOnSpecificResponseChannel { get; set; }
}
