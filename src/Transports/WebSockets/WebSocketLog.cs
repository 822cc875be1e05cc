using Microsoft.Extensions.Logging;

namespace FastIo.Transports.WebSockets;

/// <summary>Source-generated log messages for the WebSocket transport.</summary>
internal static partial class WebSocketLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "WebSocket protocol error, closing with {CloseStatus}: {Detail}")]
    public static partial void ProtocolError(ILogger logger, ushort closeStatus, string detail);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "WebSocket message handler threw; closing with 1011")]
    public static partial void HandlerFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "WebSocket close handshake timed out after {Timeout}; aborting")]
    public static partial void CloseTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "WebSocket send failed; aborting")]
    public static partial void SendFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "WebSocket receive failed (the transport's read, or handling what it returned)")]
    public static partial void ReceiveFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "WebSocket OnClosed handler threw")]
    public static partial void OnClosedFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Completing the WebSocket transport failed; the connection ends all the same")]
    public static partial void FinishFailed(ILogger logger, Exception exception);
}
