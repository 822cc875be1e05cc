namespace FastIo.Transports.WebSockets;

/// <summary>Kind of a complete data message (RFC 6455 §5.6).</summary>
internal enum WebSocketMessageType
{
    /// <summary>UTF-8 text; validated before delivery.</summary>
    Text,

    /// <summary>Arbitrary bytes.</summary>
    Binary,
}
