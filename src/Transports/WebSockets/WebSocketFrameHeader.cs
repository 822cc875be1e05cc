namespace FastIo.Transports.WebSockets;

/// <summary>A parsed frame header (RFC 6455 §5.2).</summary>
internal readonly record struct WebSocketFrameHeader(
    bool Fin,
    WebSocketOpcode Opcode,
    bool Masked,
    uint Mask,
    long PayloadLength,
    int HeaderLength)
{
    /// <summary>Control frames have the high opcode bit set (§5.5).</summary>
    public bool IsControl => ((byte)Opcode & 0x8) != 0;
}
