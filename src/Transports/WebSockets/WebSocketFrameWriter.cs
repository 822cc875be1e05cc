using System.Buffers.Binary;

namespace FastIo.Transports.WebSockets;

/// <summary>Encodes server frames. Server frames are never masked (RFC 6455 §5.1), so the header is 2, 4 or 10 bytes.</summary>
internal static class WebSocketFrameWriter
{
    /// <summary>Largest header a server writes: 2 bytes + 64-bit extended length, no masking key (§5.2).</summary>
    public const int MaxHeaderSize = 10;

    private const byte FinBit = 0x80;
    private const int MaxSevenBitLength = 125;
    private const byte SixteenBitLengthMarker = 126;
    private const byte SixtyFourBitLengthMarker = 127;

    /// <summary>Header bytes needed for a payload of this length (§5.2 "Payload length").</summary>
    public static int GetHeaderSize(long payloadLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(payloadLength);
        if (payloadLength <= MaxSevenBitLength)
        {
            return 2;
        }

        return payloadLength <= ushort.MaxValue ? 4 : MaxHeaderSize;
    }

    /// <summary>Writes an unmasked frame header; returns the number of bytes written.</summary>
    public static int WriteHeader(Span<byte> destination, WebSocketOpcode opcode, bool fin, long payloadLength)
    {
        int size = GetHeaderSize(payloadLength);
        if (destination.Length < size)
        {
            throw new ArgumentException("Destination too small for the frame header.", nameof(destination));
        }

        destination[0] = (byte)((fin ? FinBit : 0) | (byte)opcode);
        if (size == 2)
        {
            destination[1] = (byte)payloadLength;
        }
        else if (size == 4)
        {
            // §5.2: 126 followed by a 16-bit big-endian length.
            destination[1] = SixteenBitLengthMarker;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
        }
        else
        {
            // §5.2: 127 followed by a 64-bit big-endian length with the MSB clear.
            destination[1] = SixtyFourBitLengthMarker;
            BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
        }

        return size;
    }

    /// <summary>Builds a complete single (FIN) data frame, e.g. to encode a broadcast once and <see cref="WebSocketConnection.SendFrame(ReadOnlyMemory{byte})"/> it to many connections.</summary>
    public static byte[] BuildFrame(ReadOnlySpan<byte> payload, WebSocketMessageType type)
    {
        int headerSize = GetHeaderSize(payload.Length);
        var frame = new byte[headerSize + payload.Length];
        WriteHeader(frame, ToOpcode(type), fin: true, payload.Length);
        payload.CopyTo(frame.AsSpan(headerSize));
        return frame;
    }

    /// <summary>Writes a complete frame (header + payload) into <paramref name="destination"/>; returns bytes written.</summary>
    internal static int WriteFrame(Span<byte> destination, WebSocketOpcode opcode, ReadOnlySpan<byte> payload)
    {
        int headerSize = WriteHeader(destination, opcode, fin: true, payload.Length);
        payload.CopyTo(destination[headerSize..]);
        return headerSize + payload.Length;
    }

    internal static WebSocketOpcode ToOpcode(WebSocketMessageType type) =>
        type == WebSocketMessageType.Text ? WebSocketOpcode.Text : WebSocketOpcode.Binary;
}
