using System.Text;

namespace FastIo.SocketIO.Protocol;

/// <summary>
/// Decodes socket.io-parser 4.2.x messages for one connection. A binary packet (types 5 and 6) announces
/// <c>N-</c> attachments that arrive as the next N binary messages; the packet is returned once all are in
/// (docs/socket.io-protocol/v5-current.md, "Packet encoding"). Validation follows socket.io-parser's
/// <c>Decoder.decodeString</c>/<c>isPayloadValid</c>; deliberate differences are noted where they occur.
/// </summary>
internal sealed class SocketIOJsonDecoder : ISocketPacketDecoder
{
    private const string MainNamespace = "/";

    private readonly int _maxAttachments;
    private SocketPacket? _pending;
    private ReadOnlyMemory<byte>[]? _buffers;
    private int _received;

    /// <summary>Creates a decoder refusing binary packets that announce more than <paramref name="maxAttachments"/>.</summary>
    public SocketIOJsonDecoder(int maxAttachments)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxAttachments);
        _maxAttachments = maxAttachments;
    }

    /// <inheritdoc/>
    public SocketDecodeStatus Decode(ReadOnlySpan<byte> message, bool isBinary, out SocketPacket? packet, out string? error)
    {
        packet = null;
        error = null;
        if (isBinary)
        {
            // socket.io-parser: "got binary data when not reconstructing a packet".
            if (_pending is null || _buffers is null)
            {
                error = "binary message without a pending binary packet";
                return SocketDecodeStatus.Invalid;
            }

            _buffers[_received++] = message.ToArray();
            if (_received < _buffers.Length)
            {
                return SocketDecodeStatus.NeedMore;
            }

            packet = _pending;
            packet.Attachments = _buffers;
            Reset();
            return SocketDecodeStatus.Packet;
        }

        if (_pending is not null)
        {
            // socket.io-parser: "got plaintext data when reconstructing a packet".
            Reset();
            error = "text message while attachments are awaited";
            return SocketDecodeStatus.Invalid;
        }

        error = DecodeText(message, out var decoded, out int attachments);
        if (error is not null)
        {
            return SocketDecodeStatus.Invalid;
        }

        if (attachments > 0)
        {
            _pending = decoded;
            _buffers = new ReadOnlyMemory<byte>[attachments];
            _received = 0;
            return SocketDecodeStatus.NeedMore;
        }

        packet = decoded;
        return SocketDecodeStatus.Packet;
    }

    private void Reset()
    {
        _pending = null;
        _buffers = null;
        _received = 0;
    }

    /// <inheritdoc/>
    public bool IsIdle => _pending is null;

    /// <summary>
    /// The allocation-free path for the packet a server receives most: a text EVENT (not binary), for a connection
    /// whose decoder awaits no attachments (is idle, or has none: this needs no state). True with the header and the
    /// payload as views over <paramref name="message"/> (valid only while it is); false for anything else, malformed
    /// input included, which <see cref="Decode"/> then handles (and reports) as usual.
    /// </summary>
    public static bool TryDecodeEvent(ReadOnlySpan<byte> message, out SocketEventView view)
    {
        view = default;
        if (message.IsEmpty || message[0] != (byte)('0' + (int)SocketPacketType.Event))
        {
            return false;
        }

        if (ParseHeader(message, maxAttachments: 0, out var type, out _, out var nsp, out long ackId, out int payloadStart) is not null)
        {
            return false;
        }

        var payload = message[payloadStart..];
        if (SocketIOJsonPayload.Validate(payload, type, 0) is not null)
        {
            return false;
        }

        view = new SocketEventView(message.Slice(nsp.Start, nsp.Length), ackId, payload);
        return true;
    }

    /// <summary>Parses <c>&lt;type&gt;[&lt;n&gt;-][&lt;nsp&gt;,][&lt;id&gt;][&lt;json&gt;]</c>; returns an error or null.</summary>
    private string? DecodeText(ReadOnlySpan<byte> message, out SocketPacket packet, out int attachments)
    {
        packet = null!;
        string? error = ParseHeader(message, _maxAttachments, out var type, out attachments, out var nspRange, out long ackId, out int payloadStart);
        if (error is not null)
        {
            return error;
        }

        // Anything left is the payload; a non-digit right after the header (e.g. "2abc[...]") lands here and fails
        // as JSON, as in socket.io-parser.
        var payload = message[payloadStart..];
        error = SocketIOJsonPayload.Validate(payload, type, attachments);
        if (error is not null)
        {
            return error;
        }

        var nspBytes = message.Slice(nspRange.Start, nspRange.Length);
        packet = new SocketPacket
        {
            Type = type,
            Namespace = nspBytes.Length <= 1 ? MainNamespace : Encoding.UTF8.GetString(nspBytes),
            AckId = ackId,
            Data = payload.IsEmpty ? ReadOnlyMemory<byte>.Empty : payload.ToArray(),
        };
        return null;
    }

    /// <summary>
    /// The header: type, attachment count, namespace (as a range of <paramref name="message"/>, empty for the main
    /// one), ack id (-1 when absent) and where the payload starts. Returns an error or null.
    /// </summary>
    private static string? ParseHeader(
        ReadOnlySpan<byte> message, int maxAttachments, out SocketPacketType type, out int attachments, out (int Start, int Length) nsp, out long ackId, out int payloadStart)
    {
        type = default;
        attachments = 0;
        nsp = default;
        ackId = -1;
        payloadStart = 0;

        // Deliberate difference: JS's Number("") is 0, so socket.io-parser reads an empty message as CONNECT "/".
        if (message.IsEmpty)
        {
            return "empty packet";
        }

        int typeDigit = message[0] - '0';
        if ((uint)typeDigit > (uint)SocketPacketType.BinaryAck)
        {
            return "unknown packet type";
        }

        type = (SocketPacketType)typeDigit;
        int i = 1;
        if (type is SocketPacketType.BinaryEvent or SocketPacketType.BinaryAck)
        {
            // socket.io-parser 4.2.7 wants an integer >= 1 (4.2.6 took 0, emitted the packet at once and kept waiting for binary data).
            // Deliberate difference: its loose `buf != Number(buf)` also lets " 1" or "1e0" through; only ASCII
            // digits are accepted here.
            int start = i;
            long count = 0;
            while (i < message.Length && IsDigit(message[i]))
            {
                count = Math.Min(count * 10 + (message[i] - '0'), int.MaxValue);
                i++;
            }

            if (i == start || i == message.Length || message[i] != '-' || count == 0)
            {
                return "illegal attachments";
            }

            if (count > maxAttachments)
            {
                return "too many attachments";
            }

            attachments = (int)count;
            i++;
        }

        if (i < message.Length && message[i] == '/')
        {
            // The namespace runs to the first ',' (consumed) or to the end of the message.
            int comma = message[i..].IndexOf((byte)',');
            int end = comma < 0 ? message.Length : i + comma;
            nsp = (i, end - i);
            i = comma < 0 ? end : end + 1;
        }

        if (i < message.Length && IsDigit(message[i]))
        {
            ackId = 0;
            while (i < message.Length && IsDigit(message[i]))
            {
                int digit = message[i] - '0';
                if (ackId > (long.MaxValue - digit) / 10)
                {
                    return "ack id out of range";
                }

                ackId = ackId * 10 + digit;
                i++;
            }
        }

        payloadStart = i;
        return null;
    }

    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;
}
