namespace FastIo.Transports.WebSockets;

/// <summary>
/// Limits and timeouts for a server-side WebSocket connection (RFC 6455).
/// </summary>
public sealed class WebSocketOptions
{
    /// <summary>
    /// Largest assembled message (all fragments together) accepted from the peer, in bytes.
    /// A larger message fails the connection with close code 1009 (RFC 6455 §7.4.1).
    /// </summary>
    public long MaxMessageBytes { get; set; } = 1_000_000;

    /// <summary>
    /// After we send a Close frame, how long to wait for the peer's Close frame before
    /// aborting the transport (RFC 6455 §7.1.1 lets the server drop the TCP connection).
    /// Also bounds how long a finishing connection waits for its last frames to flush.
    /// </summary>
    public TimeSpan CloseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Bound on bytes queued for sending but not yet flushed to the transport. A send that
    /// would exceed it is refused (returns false) so a slow reader cannot exhaust memory.
    /// </summary>
    public long MaxBufferedSendBytes { get; set; } = 16 * 1024 * 1024;
}
