using System.Buffers;
using System.Buffers.Binary;

namespace FastIo.Transports.WebSockets;

/// <summary>
/// Parses client frame headers (RFC 6455 §5.2) from a possibly multi-segment buffer. Validation follows the
/// order: reserved bits, opcode, mask rule, control-frame rules, continuation ordering, length encoding,
/// and is done on the first two bytes where possible so a bad peer is rejected without waiting for more data.
/// </summary>
internal static class WebSocketFrameParser
{
    /// <summary>§5.5: control frames carry at most 125 payload bytes.</summary>
    public const int MaxControlPayloadLength = 125;

    /// <summary>Largest client header: 2 + 8 (64-bit length) + 4 (masking key).</summary>
    public const int MaxHeaderLength = 14;

    private const byte FinBit = 0x80;
    private const byte ReservedBits = 0x70;
    private const byte OpcodeBits = 0x0F;
    private const byte MaskBit = 0x80;
    private const byte LengthBits = 0x7F;
    private const byte SixteenBitLengthMarker = 126;
    private const byte SixtyFourBitLengthMarker = 127;
    private const int MaskKeyLength = 4;

    /// <summary>
    /// Tries to parse one header. On <see cref="WebSocketFrameParseStatus.Incomplete"/> and
    /// <see cref="WebSocketFrameParseStatus.Error"/> the reader is rewound to where it started.
    /// </summary>
    /// <param name="reader">Positioned at the first byte of a frame.</param>
    /// <param name="messageInProgress">Whether a fragmented data message has started and not finished (§5.4).</param>
    /// <param name="header">The header when complete.</param>
    /// <param name="errorCloseStatus">Close code to fail the connection with when the status is Error.</param>
    /// <param name="error">Human-readable reason when the status is Error.</param>
    public static WebSocketFrameParseStatus TryParseHeader(
        ref SequenceReader<byte> reader,
        bool messageInProgress,
        out WebSocketFrameHeader header,
        out ushort errorCloseStatus,
        out string? error)
    {
        header = default;
        errorCloseStatus = 0;
        error = null;
        long start = reader.Consumed;

        if (!reader.TryRead(out byte first))
        {
            return WebSocketFrameParseStatus.Incomplete;
        }

        // §5.2 RSV1-3 MUST be 0 unless an extension was negotiated; we negotiate none.
        if ((first & ReservedBits) != 0)
        {
            return Fail(ref reader, start, "Reserved bits set without a negotiated extension.", out errorCloseStatus, out error);
        }

        var opcode = (WebSocketOpcode)(first & OpcodeBits);
        if (!IsKnownOpcode(opcode))
        {
            return Fail(ref reader, start, "Unknown opcode.", out errorCloseStatus, out error);
        }

        if (!reader.TryRead(out byte second))
        {
            reader.Rewind(reader.Consumed - start);
            return WebSocketFrameParseStatus.Incomplete;
        }

        // §5.1: a server MUST close the connection upon receiving an unmasked frame.
        bool masked = (second & MaskBit) != 0;
        if (!masked)
        {
            return Fail(ref reader, start, "Client frame is not masked.", out errorCloseStatus, out error);
        }

        bool fin = (first & FinBit) != 0;
        int lengthCode = second & LengthBits;
        bool isControl = ((byte)opcode & 0x8) != 0;
        if (isControl)
        {
            // §5.5: control frames MUST have a payload of 125 bytes or less and MUST NOT be fragmented.
            if (lengthCode > MaxControlPayloadLength)
            {
                return Fail(ref reader, start, "Control frame payload exceeds 125 bytes.", out errorCloseStatus, out error);
            }

            if (!fin)
            {
                return Fail(ref reader, start, "Fragmented control frame.", out errorCloseStatus, out error);
            }
        }
        else if (opcode == WebSocketOpcode.Continuation)
        {
            // §5.4: a continuation frame only follows an unfinished data frame.
            if (!messageInProgress)
            {
                return Fail(ref reader, start, "Continuation frame without a message in progress.", out errorCloseStatus, out error);
            }
        }
        else if (messageInProgress)
        {
            // §5.4: fragments of one message are not interleaved with another data message.
            return Fail(ref reader, start, "New data frame while a fragmented message is in progress.", out errorCloseStatus, out error);
        }

        long payloadLength = lengthCode;
        if (lengthCode == SixteenBitLengthMarker)
        {
            if (!reader.TryReadBigEndian(out short length16))
            {
                reader.Rewind(reader.Consumed - start);
                return WebSocketFrameParseStatus.Incomplete;
            }

            payloadLength = (ushort)length16;
        }
        else if (lengthCode == SixtyFourBitLengthMarker)
        {
            if (!reader.TryReadBigEndian(out long length64))
            {
                reader.Rewind(reader.Consumed - start);
                return WebSocketFrameParseStatus.Incomplete;
            }

            // §5.2: the most significant bit of the 64-bit length MUST be 0.
            if (length64 < 0)
            {
                return Fail(ref reader, start, "64-bit payload length has the most significant bit set.", out errorCloseStatus, out error);
            }

            payloadLength = length64;
        }

        Span<byte> key = stackalloc byte[MaskKeyLength];
        if (!reader.TryCopyTo(key))
        {
            reader.Rewind(reader.Consumed - start);
            return WebSocketFrameParseStatus.Incomplete;
        }

        reader.Advance(MaskKeyLength);
        header = new WebSocketFrameHeader(fin, opcode, masked, WebSocketMasking.ReadMask(key), payloadLength, (int)(reader.Consumed - start));
        return WebSocketFrameParseStatus.Complete;
    }

    private static bool IsKnownOpcode(WebSocketOpcode opcode) => opcode is WebSocketOpcode.Continuation
        or WebSocketOpcode.Text or WebSocketOpcode.Binary
        or WebSocketOpcode.Close or WebSocketOpcode.Ping or WebSocketOpcode.Pong;

    private static WebSocketFrameParseStatus Fail(ref SequenceReader<byte> reader, long start, string message, out ushort errorCloseStatus, out string? error)
    {
        reader.Rewind(reader.Consumed - start);
        errorCloseStatus = WebSocketCloseCodes.ProtocolError;
        error = message;
        return WebSocketFrameParseStatus.Error;
    }
}
