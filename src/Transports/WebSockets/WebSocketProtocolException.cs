namespace FastIo.Transports.WebSockets;

/// <summary>
/// The peer violated RFC 6455; carries the close code we fail the connection with (§7.1.7).
/// Only used on error paths, so the cost of an exception is irrelevant.
/// </summary>
internal sealed class WebSocketProtocolException : Exception
{
    public WebSocketProtocolException()
        : this(WebSocketCloseCodes.ProtocolError, "WebSocket protocol error.")
    {
    }

    public WebSocketProtocolException(string message)
        : this(WebSocketCloseCodes.ProtocolError, message)
    {
    }

    public WebSocketProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
        CloseStatus = WebSocketCloseCodes.ProtocolError;
    }

    public WebSocketProtocolException(ushort closeStatus, string message)
        : base(message)
    {
        CloseStatus = closeStatus;
    }

    /// <summary>The close code sent to the peer (1002, 1007 or 1009).</summary>
    public ushort CloseStatus { get; }
}
