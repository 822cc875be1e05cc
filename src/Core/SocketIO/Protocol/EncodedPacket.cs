namespace FastIo.SocketIO.Protocol;

/// <summary>
/// A packet encoded once, ready for any number of connections: the Engine.IO messages that carry it. Immutable,
/// so a broadcast shares one instance among all its targets.
/// </summary>
internal sealed class EncodedPacket
{
    public EncodedPacket(ReadOnlyMemory<byte> first, bool firstIsBinary, IReadOnlyList<ReadOnlyMemory<byte>>? attachments = null)
    {
        First = first;
        FirstIsBinary = firstIsBinary;
        Attachments = attachments ?? Array.Empty<ReadOnlyMemory<byte>>();
    }

    /// <summary>The first message: the JSON parser's text (UTF-8), or the msgpack parser's binary.</summary>
    public ReadOnlyMemory<byte> First { get; }

    /// <summary>Whether <see cref="First"/> goes as a binary message.</summary>
    public bool FirstIsBinary { get; }

    /// <summary>Binary messages that follow <see cref="First"/> (JSON parser attachments).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Attachments { get; }
}
