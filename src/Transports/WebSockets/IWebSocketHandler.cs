using System.Buffers;

namespace FastIo.Transports.WebSockets;

/// <summary>Receives the events of one <see cref="WebSocketConnection"/>; called from its receive loop only.</summary>
internal interface IWebSocketHandler
{
    /// <summary>
    /// A complete (reassembled) message. <paramref name="payload"/> is only valid during the call:
    /// it points into the transport pipe or a pooled buffer that is reused afterwards.
    /// Text payloads are already validated as UTF-8.
    /// </summary>
    void OnMessage(WebSocketMessageType type, ReadOnlySequence<byte> payload);

    /// <summary>
    /// Called exactly once when the connection is finished. <paramref name="closeStatus"/> is the
    /// peer's close code (1005 if its Close frame had none), the code we failed the connection with,
    /// or null when no close handshake took place (RFC 6455 §7.1.5 "1006" semantics).
    /// <paramref name="error"/> is null for a clean close or a peer that just went away.
    /// </summary>
    void OnClosed(ushort? closeStatus, string? reason, Exception? error);
}
