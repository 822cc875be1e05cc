using System.Globalization;
using System.Text;

namespace FastIo.SocketIO.Protocol;

/// <summary>
/// The default Socket.IO wire format, byte-compatible with socket.io-parser 4.2.x: a text message
/// <c>&lt;type&gt;[&lt;attachments&gt;-][&lt;nsp&gt;,][&lt;id&gt;][&lt;json&gt;]</c> followed by one binary message per
/// attachment (docs/socket.io-protocol/v5-current.md, "Packet encoding"). The parser-neutral payload already is this
/// JSON, placeholders included, so encoding only writes the header.
/// </summary>
internal sealed class SocketIOJsonParser : ISocketPacketParser
{
    /// <summary>socket.io-parser's default <c>maxAttachments</c>.</summary>
    public const int DefaultMaxAttachments = 10;

    /// <summary>Creates the parser; decoders refuse binary packets announcing more than <paramref name="maxAttachments"/>.</summary>
    public SocketIOJsonParser(int maxAttachments = DefaultMaxAttachments)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxAttachments);
        MaxAttachments = maxAttachments;
    }

    /// <summary>The most attachments a decoded binary packet may announce.</summary>
    public int MaxAttachments { get; }

    /// <inheritdoc/>
    public ISocketPacketDecoder CreateDecoder() => new SocketIOJsonDecoder(MaxAttachments);

    /// <inheritdoc/>
    public EncodedPacket Encode(SocketPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        var attachments = packet.Attachments;
        int attachmentCount = attachments.Count;
        var type = WireType(packet.Type, attachmentCount);
        bool binary = type is SocketPacketType.BinaryEvent or SocketPacketType.BinaryAck;

        if (attachmentCount == 0 && !packet.EncodedText.IsEmpty)
        {
            return new EncodedPacket(packet.EncodedText, firstIsBinary: false);
        }

        var buffer = EncodeFirst(type, binary, attachmentCount, NamespaceOnWire(packet.Namespace), packet.AckId, packet.Data.Span);

        if (attachmentCount == 0)
        {
            return new EncodedPacket(buffer, firstIsBinary: false);
        }

        // Copy the list (not the bytes) so the encoded packet stays immutable if the caller reuses its list.
        var copy = new ReadOnlyMemory<byte>[attachmentCount];
        for (int i = 0; i < copy.Length; i++)
        {
            copy[i] = attachments[i];
        }

        return new EncodedPacket(buffer, firstIsBinary: false, copy);
    }

    /// <summary>socket.io-parser writes the namespace only when it is not the main one ("/"), always followed by ",".</summary>
    internal static string? NamespaceOnWire(string nsp)
    {
        if (nsp.Length == 0 || nsp == "/")
        {
            return null;
        }

        if (nsp[0] != '/' || nsp.Contains(',', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Namespace '{nsp}' must start with '/' and contain no ','.", nameof(nsp));
        }

        return nsp;
    }

    /// <summary>The length of a first message's header: type, attachment count, namespace (<paramref name="nsp"/> as from <see cref="NamespaceOnWire"/>), ack id.</summary>
    internal static int HeaderLength(bool binary, int attachmentCount, string? nsp, long ackId) =>
        1
        + (binary ? DigitCount(attachmentCount) + 1 : 0)
        + (nsp is not null ? Encoding.UTF8.GetByteCount(nsp) + 1 : 0)
        + (ackId >= 0 ? DigitCount(ackId) : 0);

    /// <summary>Writes the header measured by <see cref="HeaderLength"/>; returns its length.</summary>
    internal static int WriteHeader(Span<byte> span, SocketPacketType type, bool binary, int attachmentCount, string? nsp, long ackId)
    {
        span[0] = (byte)('0' + (int)type);
        int pos = 1;
        if (binary)
        {
            pos += WriteDigits(span[pos..], attachmentCount);
            span[pos++] = (byte)'-';
        }

        if (nsp is not null)
        {
            pos += Encoding.UTF8.GetBytes(nsp, span[pos..]);
            span[pos++] = (byte)',';
        }

        if (ackId >= 0)
        {
            pos += WriteDigits(span[pos..], ackId);
        }

        return pos;
    }

    /// <summary>The first message: type, attachment count, namespace (when not the main one), ack id, payload.</summary>
    private static byte[] EncodeFirst(SocketPacketType type, bool binary, int attachmentCount, string? nsp, long ackId, ReadOnlySpan<byte> data)
    {
        int header = HeaderLength(binary, attachmentCount, nsp, ackId);
        var buffer = new byte[header + data.Length];
        WriteHeader(buffer, type, binary, attachmentCount, nsp, ackId);
        data.CopyTo(buffer.AsSpan(header));
        return buffer;
    }

    /// <summary>
    /// The type on the wire: events and acks are binary iff they carry attachments (socket.io-parser's
    /// <c>hasBinary</c> upgrade); other types cannot carry attachments in this format.
    /// </summary>
    private static SocketPacketType WireType(SocketPacketType type, int attachmentCount)
    {
        switch (type)
        {
            case SocketPacketType.Event:
            case SocketPacketType.BinaryEvent:
                return attachmentCount > 0 ? SocketPacketType.BinaryEvent : SocketPacketType.Event;
            case SocketPacketType.Ack:
            case SocketPacketType.BinaryAck:
                return attachmentCount > 0 ? SocketPacketType.BinaryAck : SocketPacketType.Ack;
            case SocketPacketType.Connect:
            case SocketPacketType.Disconnect:
            case SocketPacketType.ConnectError:
                if (attachmentCount > 0)
                {
                    throw new ArgumentException($"A {type} packet cannot carry attachments in the JSON format.", nameof(type));
                }

                return type;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown packet type.");
        }
    }

    private static int DigitCount(long value)
    {
        int digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }

    private static int WriteDigits(Span<byte> destination, long value)
    {
        value.TryFormat(destination, out int written, default, CultureInfo.InvariantCulture);
        return written;
    }
}
