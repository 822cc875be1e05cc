namespace FastIo.SocketIO.Protocol;

/// <summary>
/// A Socket.IO packet in the parser-neutral form the server works with: the payload is UTF-8 JSON, and binary
/// values are <c>{"_placeholder":true,"num":n}</c> objects that refer to <see cref="Attachments"/>[n]. The JSON
/// parser produces and consumes this form directly; the msgpack parser translates to and from it.
/// </summary>
internal sealed class SocketPacket
{
    /// <summary>The type; <see cref="SocketPacketType.BinaryEvent"/>/<see cref="SocketPacketType.BinaryAck"/> iff there are attachments.</summary>
    public SocketPacketType Type { get; set; }

    /// <summary>The namespace, <c>/</c> by default.</summary>
    public string Namespace { get; set; } = "/";

    /// <summary>The acknowledgement id, or -1 for none.</summary>
    public long AckId { get; set; } = -1;

    /// <summary>
    /// The payload as UTF-8 JSON, or empty when the packet has none: an array for events and acks (the event name
    /// first), an object for CONNECT and CONNECT_ERROR (CONNECT_ERROR may also carry a string).
    /// </summary>
    public ReadOnlyMemory<byte> Data { get; set; }

    /// <summary>Binary attachments, in placeholder order; empty for non-binary packets.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Attachments { get; set; } = Array.Empty<ReadOnlyMemory<byte>>();
}
