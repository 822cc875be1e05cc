using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FastIo.Adapters.Redis;

/// <summary>What the adapters of one server share: the multiplexer, the options, and the once-per-transition logging.</summary>
internal sealed class RedisConnectionState
{
    private int _watching;

    public RedisConnectionState(IConnectionMultiplexer redis, RedisAdapterOptions options)
    {
        Redis = redis;
        Options = options;
        Subscriber = redis.GetSubscriber();
    }

    public IConnectionMultiplexer Redis { get; }

    public ISubscriber Subscriber { get; }

    public RedisAdapterOptions Options { get; }

    /// <summary>
    /// Logs connection loss and recovery once per transition: only the subscription connection's events, since the
    /// interactive connection fails and recovers with it. StackExchange.Redis resubscribes every channel by itself.
    /// </summary>
    public void Watch(ILogger logger)
    {
        if (Interlocked.Exchange(ref _watching, 1) != 0)
        {
            return;
        }

        Redis.ConnectionFailed += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription)
            {
                Log.ConnectionLost(logger, e.EndPoint?.ToString() ?? "redis", e.FailureType.ToString(), e.Exception);
            }
        };
        Redis.ConnectionRestored += (_, e) =>
        {
            if (e.ConnectionType == ConnectionType.Subscription)
            {
                Log.ConnectionRestored(logger, e.EndPoint?.ToString() ?? "redis");
            }
        };
    }
}
