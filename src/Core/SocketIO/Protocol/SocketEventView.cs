namespace FastIo.SocketIO.Protocol;

/// <summary>
/// A validated text EVENT packet seen in place, over the Engine.IO message it arrived in (valid only while that
/// message is): what the allocation-free receive path hands from the decoder to the socket.
/// </summary>
internal readonly ref struct SocketEventView
{
    public SocketEventView(ReadOnlySpan<byte> namespaceUtf8, long ackId, ReadOnlySpan<byte> payload)
    {
        NamespaceUtf8 = namespaceUtf8;
        AckId = ackId;
        Payload = payload;
    }

    /// <summary>The namespace as sent, empty for the main one (<c>/</c> alone is the main one too).</summary>
    public ReadOnlySpan<byte> NamespaceUtf8 { get; }

    /// <summary>The acknowledgement id, or -1 for none.</summary>
    public long AckId { get; }

    /// <summary>The JSON array: the event name first, then the arguments.</summary>
    public ReadOnlySpan<byte> Payload { get; }
}
