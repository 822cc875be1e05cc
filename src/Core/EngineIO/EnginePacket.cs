namespace FastIo.EngineIO;

/// <summary>
/// One Engine.IO packet, outgoing or decoded from a polling payload. The packet owns <see cref="Data"/>; text
/// data is kept as UTF-8 so that no transport has to transcode it.
/// </summary>
internal readonly struct EnginePacket
{
    public EnginePacket(EnginePacketType type, ReadOnlyMemory<byte> data = default, bool isBinary = false)
    {
        Type = type;
        Data = data;
        IsBinary = isBinary;
        Shared = null;
    }

    /// <summary>A message packet whose bytes are shared with other sessions (a broadcast).</summary>
    public EnginePacket(EngineMessage shared)
        : this(EnginePacketType.Message, shared.Data, shared.IsBinary)
    {
        Shared = shared;
    }

    /// <summary>The shared message this packet carries, if any; transports may cache their encoding on it.</summary>
    public EngineMessage? Shared { get; }

    public EnginePacketType Type { get; }

    /// <summary>UTF-8 text after the type digit, or the raw bytes of a binary message.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    public bool IsBinary { get; }

    public static EnginePacket Text(EnginePacketType type, string text) =>
        new(type, System.Text.Encoding.UTF8.GetBytes(text));
}
