namespace FastIo.Adapters.Redis;

/// <summary>Which channels a sharded adapter subscribes to (@socket.io/redis-adapter 8.3's <c>subscriptionMode</c>).</summary>
public enum ShardedSubscriptionMode
{
    /// <summary>Only the namespace channel and this server's response channel.</summary>
    Static,

    /// <summary>Also one channel per public room (not a socket id) hosted here: room broadcasts cost only its hosts.</summary>
    Dynamic,

    /// <summary>Also one channel per room, socket-id rooms included.</summary>
    DynamicPrivate,
}
