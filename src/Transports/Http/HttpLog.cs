using System.Net;
using Microsoft.Extensions.Logging;

namespace FastIo.Transports.Http;

/// <summary>Source-generated log messages of the HTTP layer (EventIds 1100-1199).</summary>
internal static partial class HttpLog
{
    [LoggerMessage(EventId = 1100, Level = LogLevel.Debug, Message = "HTTP request from {RemoteEndPoint} rejected with {StatusCode}: {Reason}")]
    public static partial void RequestRejected(ILogger logger, EndPoint? remoteEndPoint, int statusCode, string? reason);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "HTTP connection from {RemoteEndPoint} closed: request headers timeout")]
    public static partial void HeadersTimeout(ILogger logger, EndPoint? remoteEndPoint);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Debug, Message = "HTTP connection from {RemoteEndPoint} closed: keep-alive timeout")]
    public static partial void KeepAliveTimeout(ILogger logger, EndPoint? remoteEndPoint);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Debug, Message = "HTTP connection from {RemoteEndPoint} closed by the peer in the middle of a request")]
    public static partial void UnexpectedEndOfInput(ILogger logger, EndPoint? remoteEndPoint);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Debug, Message = "HTTP request from {RemoteEndPoint} aborted: the peer closed the connection while it was being handled")]
    public static partial void RequestAborted(ILogger logger, EndPoint? remoteEndPoint);

    [LoggerMessage(EventId = 1105, Level = LogLevel.Error, Message = "HTTP application failed on {Method} {Target} from {RemoteEndPoint}")]
    public static partial void ApplicationError(ILogger logger, Exception exception, string method, string target, EndPoint? remoteEndPoint);

    [LoggerMessage(EventId = 1106, Level = LogLevel.Debug, Message = "HTTP connection from {RemoteEndPoint} failed")]
    public static partial void ConnectionError(ILogger logger, Exception exception, EndPoint? remoteEndPoint);

    [LoggerMessage(EventId = 1107, Level = LogLevel.Warning, Message = "HTTP application's OnRequestError failed for {StatusCode} from {RemoteEndPoint}")]
    public static partial void OnRequestErrorFailed(ILogger logger, Exception exception, int statusCode, EndPoint? remoteEndPoint);

    [LoggerMessage(EventId = 1108, Level = LogLevel.Debug, Message = "Request body from {RemoteEndPoint} not received in time; closing the connection")]
    public static partial void BodyTimeout(ILogger logger, EndPoint? remoteEndPoint);
}
