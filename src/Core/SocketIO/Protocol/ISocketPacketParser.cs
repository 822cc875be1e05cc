namespace FastIo.SocketIO.Protocol;

/// <summary>
/// A Socket.IO wire format: the default JSON parser (socket.io-parser) or the msgpack one
/// (socket.io-msgpack-parser). Both directions use the parser-neutral <see cref="SocketPacket"/>.
/// </summary>
internal interface ISocketPacketParser
{
    /// <summary>
    /// Encodes a packet into the Engine.IO messages that carry it, in order: JSON gives a text message followed by
    /// one binary message per attachment; msgpack gives a single binary message.
    /// </summary>
    EncodedPacket Encode(SocketPacket packet);

    /// <summary>A decoder for one connection (binary packets span several Engine.IO messages, so it has state).</summary>
    ISocketPacketDecoder CreateDecoder();
}

/// <summary>Decodes the Engine.IO messages of one connection into packets.</summary>
internal interface ISocketPacketDecoder
{
    /// <summary>
    /// Feeds one Engine.IO message (valid only during the call; the decoder copies what it keeps).
    /// Returns <see cref="SocketDecodeStatus.Packet"/> with a complete packet, <see cref="SocketDecodeStatus.NeedMore"/>
    /// while attachments are awaited, or <see cref="SocketDecodeStatus.Invalid"/> with a reason: the connection must
    /// then be closed (the reference server closes it too).
    /// </summary>
    SocketDecodeStatus Decode(ReadOnlySpan<byte> message, bool isBinary, out SocketPacket? packet, out string? error);

    /// <summary>Whether the decoder holds no part of a packet (no attachments awaited): any connection may use it next.</summary>
    bool IsIdle { get; }
}

/// <summary>The outcome of <see cref="ISocketPacketDecoder.Decode"/>.</summary>
internal enum SocketDecodeStatus
{
    /// <summary>A complete packet.</summary>
    Packet,

    /// <summary>Part of a binary packet; more messages are needed.</summary>
    NeedMore,

    /// <summary>Malformed input.</summary>
    Invalid,
}
