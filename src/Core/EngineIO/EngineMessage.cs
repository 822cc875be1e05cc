namespace FastIo.EngineIO;

/// <summary>
/// An Engine.IO message encoded once for any number of sessions (a broadcast). Immutable; sessions share the
/// bytes instead of copying them, and the WebSocket transport caches the complete frame here on first use, so
/// that every further WebSocket target only enqueues a reference.
/// </summary>
public sealed class EngineMessage
{
    /// <summary>Wraps <paramref name="data"/>, which must not change afterwards.</summary>
    public EngineMessage(ReadOnlyMemory<byte> data, bool isBinary)
    {
        Data = data;
        IsBinary = isBinary;
    }

    /// <summary>UTF-8 text or raw bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Whether the message is binary.</summary>
    public bool IsBinary { get; }

    /// <summary>The complete v4 WebSocket frame, built lazily by the first WebSocket transport that sends it.</summary>
    internal byte[]? WebSocketFrame;
}
