namespace FastIo.SocketIO.Protocol;

/// <summary>
/// A Socket.IO packet in the parser-neutral form the server works with: the payload is UTF-8 JSON, and binary
/// values are <c>{"_placeholder":true,"num":n}</c> objects that refer to <see cref="Attachments"/>[n]. The JSON
/// parser produces and consumes this form directly; the msgpack parser translates to and from it.
/// </summary>
internal sealed class SocketPacket
{
    private SocketPacketType _type;
    private string _namespace = "/";
    private long _ackId = -1;
    private ReadOnlyMemory<byte> _data;
    private IReadOnlyList<ReadOnlyMemory<byte>> _attachments = Array.Empty<ReadOnlyMemory<byte>>();

    /// <summary>The type; <see cref="SocketPacketType.BinaryEvent"/>/<see cref="SocketPacketType.BinaryAck"/> iff there are attachments.</summary>
    public SocketPacketType Type
    {
        get => _type;
        set => Set(ref _type, value);
    }

    /// <summary>The namespace, <c>/</c> by default.</summary>
    public string Namespace
    {
        get => _namespace;
        set => Set(ref _namespace, value);
    }

    /// <summary>The acknowledgement id, or -1 for none.</summary>
    public long AckId
    {
        get => _ackId;
        set => Set(ref _ackId, value);
    }

    /// <summary>
    /// The payload as UTF-8 JSON, or empty when the packet has none: an array for events and acks (the event name
    /// first), an object for CONNECT and CONNECT_ERROR (CONNECT_ERROR may also carry a string).
    /// </summary>
    public ReadOnlyMemory<byte> Data
    {
        get => _data;
        set => Set(ref _data, value);
    }

    /// <summary>Binary attachments, in placeholder order; empty for non-binary packets.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Attachments
    {
        get => _attachments;
        set => Set(ref _attachments, value);
    }

    /// <summary>
    /// The whole JSON-parser text message (header, then <see cref="Data"/>, which is its tail), when whoever built
    /// the packet wrote it that way (<see cref="PacketWriter"/>): the JSON parser then sends it as is instead of
    /// copying the payload behind a new header. Dropped by any change to the packet, so it never disagrees with it.
    /// </summary>
    public ReadOnlyMemory<byte> EncodedText { get; private set; }

    /// <summary>
    /// The pooled Engine.IO message whose data is <see cref="EncodedText"/>, when the packet was written for a
    /// broadcast (<see cref="PacketWriter.RentBroadcast"/>). Borrowed: whoever built the packet holds the reference
    /// and releases it after the broadcast, so nobody may keep this packet (or its <see cref="Data"/>) beyond it.
    /// </summary>
    public EngineIO.EngineMessage? EncodedMessage { get; private set; }

    /// <summary>Sets <see cref="Data"/> as the tail of <paramref name="encodedText"/>, which starts with this packet's JSON-parser header.</summary>
    public void SetEncoded(ReadOnlyMemory<byte> encodedText, int headerLength)
    {
        Data = encodedText[headerLength..];
        EncodedText = encodedText;
    }

    /// <summary>Like <see cref="SetEncoded(ReadOnlyMemory{byte}, int)"/> for the text of a pooled message the caller holds.</summary>
    public void SetEncoded(EngineIO.EngineMessage message, int headerLength)
    {
        SetEncoded(message.Data, headerLength);
        EncodedMessage = message;
    }

    /// <summary>Back to a fresh packet's state, so that a reused one keeps nothing of its last use alive.</summary>
    public void Reset()
    {
        _type = default;
        _namespace = "/";
        _ackId = -1;
        _data = default;
        _attachments = Array.Empty<ReadOnlyMemory<byte>>();
        EncodedText = default;
        EncodedMessage = null;
    }

    private void Set<T>(ref T field, T value)
    {
        field = value;
        EncodedText = default;
        EncodedMessage = null;
    }
}
