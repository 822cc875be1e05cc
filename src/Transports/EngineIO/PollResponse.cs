namespace FastIo.Transports.EngineIO;

/// <summary>The body that answers a long-polling GET.</summary>
internal readonly struct PollResponse(ReadOnlyMemory<byte> body, bool isBinary)
{
    public ReadOnlyMemory<byte> Body { get; } = body;

    /// <summary>v3 binary payloads go as <c>application/octet-stream</c>.</summary>
    public bool IsBinary { get; } = isBinary;
}
