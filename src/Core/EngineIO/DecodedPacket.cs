namespace FastIo.EngineIO;

/// <summary>A packet decoded from a polling payload; <see cref="Data"/> is its own copy.</summary>
internal readonly struct DecodedPacket
{
    public DecodedPacket(EnginePacketType type, ReadOnlyMemory<byte> data, bool isBinary)
    {
        Type = type;
        Data = data;
        IsBinary = isBinary;
    }

    public EnginePacketType Type { get; }

    public ReadOnlyMemory<byte> Data { get; }

    public bool IsBinary { get; }
}
