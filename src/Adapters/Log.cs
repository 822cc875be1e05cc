using Microsoft.Extensions.Logging;

namespace FastIo.Adapters.Redis;

/// <summary>The Redis adapter's log messages (source-generated).</summary>
internal static partial class Log
{
    [LoggerMessage(400, LogLevel.Warning, "Redis connection to {EndPoint} lost ({Failure}); local broadcasts go on, cluster requests time out until it is back")]
    public static partial void ConnectionLost(ILogger logger, string endPoint, string failure, Exception? exception);

    [LoggerMessage(401, LogLevel.Information, "Redis connection to {EndPoint} restored; subscriptions renewed")]
    public static partial void ConnectionRestored(ILogger logger, string endPoint);

    [LoggerMessage(402, LogLevel.Warning, "Skipped a malformed message on {Channel}: {Reason}")]
    public static partial void Malformed(ILogger logger, string channel, string reason);

    [LoggerMessage(403, LogLevel.Error, "Subscribing the Redis adapter of {Namespace} failed")]
    public static partial void SubscribeFailed(ILogger logger, Exception exception, string @namespace);

    [LoggerMessage(404, LogLevel.Warning, "Publishing to Redis failed on {Channel}")]
    public static partial void PublishFailed(ILogger logger, Exception exception, string channel);

    [LoggerMessage(405, LogLevel.Error, "Handling a message on {Channel} failed")]
    public static partial void HandlingFailed(ILogger logger, Exception exception, string channel);
}
