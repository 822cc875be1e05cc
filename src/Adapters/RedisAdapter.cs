using FastIo.SocketIO;
using FastIo.SocketIO.Adapters;
using StackExchange.Redis;

namespace FastIo.Adapters.Redis;

/// <summary>
/// Entry point of the Redis adapter: a factory for <see cref="SocketIOServerOptions.AdapterFactory"/> whose
/// adapters join a cluster of FastIo and Node.js (@socket.io/redis-adapter 8.3) servers over one Redis.
/// </summary>
public static class RedisAdapter
{
    /// <summary>
    /// Creates the factory. <paramref name="redis"/> is this server's own multiplexer: one per server process, since
    /// Redis counts servers by subscribed connections (PUBSUB NUMSUB), so two servers must not share one.
    /// Connect it with <c>AbortOnConnectFail=false</c> so it keeps retrying while Redis is away.
    /// </summary>
    public static Func<Namespace, Adapter> CreateFactory(IConnectionMultiplexer redis, RedisAdapterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var shared = new RedisConnectionState(redis, options ?? new RedisAdapterOptions());
        return nsp => new ClassicRedisAdapter(nsp, shared);
    }

    /// <summary>
    /// Creates the factory of the sharded adapter (Redis 7+ SPUBLISH/SSUBSCRIBE), a peer of Node's
    /// <c>createShardedAdapter</c> with the same <see cref="RedisAdapterOptions.SubscriptionMode"/>. The Redis emitter
    /// cannot reach sharded clusters (it only PUBLISHes).
    /// </summary>
    public static Func<Namespace, Adapter> CreateShardedFactory(IConnectionMultiplexer redis, RedisAdapterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        var shared = new RedisConnectionState(redis, options ?? new RedisAdapterOptions());
        return nsp => new ShardedRedisAdapter(nsp, shared);
    }
}
