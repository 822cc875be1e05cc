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

    [LoggerMessage(410, LogLevel.Information, "Joined the node directory as node {NodeId} at {Address}")]
    public static partial void NodeJoined(ILogger logger, int nodeId, string address);

    [LoggerMessage(411, LogLevel.Information, "Node {NodeId} left the node directory")]
    public static partial void NodeLeft(ILogger logger, int nodeId);

    [LoggerMessage(412, LogLevel.Warning, "Removing node {NodeId} from the node directory failed; its entry expires by itself")]
    public static partial void LeaveFailed(ILogger logger, Exception exception, int nodeId);

    [LoggerMessage(413, LogLevel.Warning, "Refreshing node {NodeId} in the node directory failed; retrying at the next interval")]
    public static partial void RefreshFailed(ILogger logger, Exception exception, int nodeId);

    [LoggerMessage(414, LogLevel.Error, "Node id {NodeId} expired in the node directory and another node claimed it: sessions of both nodes are now ambiguous")]
    public static partial void NodeIdLost(ILogger logger, int nodeId);

    [LoggerMessage(415, LogLevel.Warning, "Node {NodeId} had expired from the node directory (Redis restarted or was unreachable) and claimed its id again")]
    public static partial void NodeReclaimed(ILogger logger, int nodeId);

    [LoggerMessage(416, LogLevel.Warning, "Looking up node {NodeId} in the node directory failed")]
    public static partial void ResolveFailed(ILogger logger, Exception exception, int nodeId);
}
