namespace FastIo.Transports.EngineIO;

/// <summary>The body that answers a long-polling GET.</summary>
internal readonly struct PollResponse(ReadOnlyMemory<byte> body, bool isBinary)
{
    public ReadOnlyMemory<byte> Body { get; } = body;

    /// <summary>v3 binary payloads go as <c>application/octet-stream</c>.</summary>
    public bool IsBinary { get; } = isBinary;

    /// <summary>The GET is answered with 400 instead (it raced with the upgrade that replaced polling).</summary>
    public bool IsRefused { get; private init; }

    public static PollResponse Refused { get; } = new(default, false) { IsRefused = true };
}
