using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace FastIo.EngineIO;

/// <summary>
/// Encodes and decodes Engine.IO packets and polling payloads, protocol v4
/// (docs/engine.io-protocol/v4-current.md) and v3 (engine.io-parser 2.x).
/// </summary>
/// <remarks>
/// Encoders write into an <see cref="IBufferWriter{T}"/> so that a transport can write straight into its
/// pipe. Decoders are strict: anything the reference parser would turn into an "error" packet is reported
/// as a failure, and the session that received it closes with "parse error".
/// </remarks>
internal static class EngineCodec
{
    /// <summary>v4 polling payloads separate packets with the ASCII record separator.</summary>
    public const byte RecordSeparator = 0x1E;

    private const byte BinaryPrefix = (byte)'b';

    /// <summary>Decodes a text packet (a WebSocket text frame, or one record of a polling payload).</summary>
    public static bool TryDecodeText(ReadOnlySpan<byte> utf8, out EnginePacketType type, out ReadOnlySpan<byte> data)
    {
        data = default;
        type = default;
        if (utf8.IsEmpty)
        {
            return false;
        }

        var digit = utf8[0] - (byte)'0';
        if ((uint)digit > (uint)EnginePacketType.Noop)
        {
            return false;
        }

        type = (EnginePacketType)digit;
        data = utf8[1..];
        return true;
    }

    /// <summary>
    /// Decodes a v3 WebSocket binary frame, whose first byte is the packet type (v4 sends raw bytes instead).
    /// </summary>
    public static bool TryDecodeBinaryV3(ReadOnlySpan<byte> frame, out EnginePacketType type, out ReadOnlySpan<byte> data)
    {
        data = default;
        type = default;
        if (frame.IsEmpty || frame[0] > (byte)EnginePacketType.Noop)
        {
            return false;
        }

        type = (EnginePacketType)frame[0];
        data = frame[1..];
        return true;
    }

    /// <summary>Decodes a v4 polling payload. Returns false at the first malformed packet; those before it are in <paramref name="packets"/>.</summary>
    public static bool TryDecodePayloadV4(ReadOnlySpan<byte> payload, List<EnginePacket> packets)
    {
        if (payload.IsEmpty)
        {
            return false;
        }

        while (true)
        {
            var end = payload.IndexOf(RecordSeparator);
            var record = end < 0 ? payload : payload[..end];
            if (!TryDecodeRecord(record, packets))
            {
                return false;
            }

            if (end < 0)
            {
                return true;
            }

            payload = payload[(end + 1)..];
        }
    }

    private static bool TryDecodeRecord(ReadOnlySpan<byte> record, List<EnginePacket> packets)
    {
        if (!record.IsEmpty && record[0] == BinaryPrefix)
        {
            return TryDecodeBase64(record[1..], EnginePacketType.Message, packets);
        }

        if (!TryDecodeText(record, out var type, out var data))
        {
            return false;
        }

        packets.Add(new EnginePacket(type, data.ToArray(), isBinary: false));
        return true;
    }

    private static bool TryDecodeBase64(ReadOnlySpan<byte> base64, EnginePacketType type, List<EnginePacket> packets)
    {
        var bytes = new byte[Base64.GetMaxDecodedFromUtf8Length(base64.Length)];
        if (Base64.DecodeFromUtf8(base64, bytes, out _, out var written) != OperationStatus.Done)
        {
            return false;
        }

        packets.Add(new EnginePacket(type, bytes.AsMemory(0, written), isBinary: true));
        return true;
    }

    /// <summary>
    /// Decodes a v3 text payload: records <c>&lt;length&gt;:&lt;packet&gt;</c> where the length counts UTF-16
    /// code units (JavaScript string length), not bytes.
    /// </summary>
    public static bool TryDecodePayloadV3Text(ReadOnlySpan<byte> payload, List<EnginePacket> packets)
    {
        if (payload.IsEmpty)
        {
            return false;
        }

        while (!payload.IsEmpty)
        {
            var colon = payload.IndexOf((byte)':');
            if (colon <= 0 || colon > 10 || !TryParseDecimal(payload[..colon], out var utf16Length))
            {
                return false;
            }

            payload = payload[(colon + 1)..];
            var byteLength = Utf8LengthOfUtf16Prefix(payload, utf16Length);
            if (byteLength < 0)
            {
                return false;
            }

            var record = payload[..byteLength];
            payload = payload[byteLength..];
            if (record.IsEmpty)
            {
                continue; // the reference parser skips empty records
            }

            if (record[0] == BinaryPrefix)
            {
                if (record.Length < 2 || !TryDecodeText(record[1..2], out var type, out _) ||
                    !TryDecodeBase64(record[2..], type, packets))
                {
                    return false;
                }
            }
            else if (!TryDecodeRecord(record, packets))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Decodes a v3 binary payload (<c>application/octet-stream</c>): records
    /// <c>[0=string|1=binary][decimal digits as bytes][0xFF][bytes]</c>.
    /// </summary>
    public static bool TryDecodePayloadV3Binary(ReadOnlySpan<byte> payload, List<EnginePacket> packets)
    {
        if (payload.IsEmpty)
        {
            return false;
        }

        while (!payload.IsEmpty)
        {
            var kind = payload[0];
            if (kind > 1)
            {
                return false;
            }

            long length = 0;
            var i = 1;
            for (; i < payload.Length && payload[i] != 0xFF; i++)
            {
                if (payload[i] > 9 || i > 10)
                {
                    return false;
                }

                length = (length * 10) + payload[i];
            }

            if (i == 1 || i >= payload.Length || length > payload.Length - i - 1)
            {
                return false;
            }

            var record = payload.Slice(i + 1, (int)length);
            payload = payload[(i + 1 + (int)length)..];
            if (kind == 0)
            {
                if (!TryDecodeRecord(record, packets))
                {
                    return false;
                }
            }
            else
            {
                if (!TryDecodeBinaryV3(record, out var type, out var data))
                {
                    return false;
                }

                packets.Add(new EnginePacket(type, data.ToArray(), isBinary: true));
            }
        }

        return true;
    }

    /// <summary>Writes one packet as a v4 WebSocket text frame payload, or a v4 polling record.</summary>
    public static void WriteTextPacket(IBufferWriter<byte> output, in EnginePacket packet)
    {
        var data = packet.Data.Span;
        var span = output.GetSpan(data.Length + 1);
        span[0] = (byte)('0' + (int)packet.Type);
        data.CopyTo(span[1..]);
        output.Advance(data.Length + 1);
    }

    /// <summary>Writes a v4 polling payload: text packets as is, binary ones as <c>b&lt;base64&gt;</c>, joined by 0x1E.</summary>
    public static void WritePayloadV4(IBufferWriter<byte> output, ReadOnlySpan<EnginePacket> packets)
    {
        for (var i = 0; i < packets.Length; i++)
        {
            if (i > 0)
            {
                output.GetSpan(1)[0] = RecordSeparator;
                output.Advance(1);
            }

            if (packets[i].IsBinary)
            {
                WriteBase64(output, packets[i].Data.Span, typePrefix: null);
            }
            else
            {
                WriteTextPacket(output, packets[i]);
            }
        }
    }

    /// <summary>True when a v3 polling response must use the binary payload format.</summary>
    public static bool NeedsV3BinaryPayload(ReadOnlySpan<EnginePacket> packets, bool supportsBinary)
    {
        if (!supportsBinary)
        {
            return false;
        }

        foreach (var packet in packets)
        {
            if (packet.IsBinary)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Writes a v3 text payload (<c>len:packet</c>, JavaScript string lengths; binary as <c>b4&lt;base64&gt;</c>).</summary>
    public static void WritePayloadV3Text(IBufferWriter<byte> output, ReadOnlySpan<EnginePacket> packets)
    {
        if (packets.IsEmpty)
        {
            WriteAscii(output, "0:");
            return;
        }

        foreach (var packet in packets)
        {
            var data = packet.Data.Span;
            if (packet.IsBinary)
            {
                var encodedLength = 2 + Base64.GetMaxEncodedToUtf8Length(data.Length);
                WriteLengthPrefix(output, encodedLength);
                WriteBase64(output, data, (byte)('0' + (int)packet.Type));
            }
            else
            {
                WriteLengthPrefix(output, 1 + Encoding.UTF8.GetCharCount(data));
                WriteTextPacket(output, packet);
            }
        }
    }

    /// <summary>Writes a v3 binary payload (<c>application/octet-stream</c>).</summary>
    public static void WritePayloadV3Binary(IBufferWriter<byte> output, ReadOnlySpan<EnginePacket> packets)
    {
        Span<byte> digits = stackalloc byte[11];
        foreach (var packet in packets)
        {
            var data = packet.Data.Span;
            var length = data.Length + 1;
            var count = 0;
            for (var n = length; n > 0 || count == 0; n /= 10)
            {
                digits[count++] = (byte)(n % 10);
            }

            var span = output.GetSpan(count + 2 + length);
            span[0] = packet.IsBinary ? (byte)1 : (byte)0;
            for (var i = 0; i < count; i++)
            {
                span[1 + i] = digits[count - 1 - i];
            }

            span[count + 1] = 0xFF;
            span[count + 2] = packet.IsBinary ? (byte)packet.Type : (byte)('0' + (int)packet.Type);
            data.CopyTo(span[(count + 3)..]);
            output.Advance(count + 2 + length);
        }
    }

    private static void WriteBase64(IBufferWriter<byte> output, ReadOnlySpan<byte> data, byte? typePrefix)
    {
        var prefix = typePrefix.HasValue ? 2 : 1;
        var encodedLength = Base64.GetMaxEncodedToUtf8Length(data.Length);
        var span = output.GetSpan(prefix + encodedLength);
        span[0] = BinaryPrefix;
        if (typePrefix.HasValue)
        {
            span[1] = typePrefix.Value;
        }

        Base64.EncodeToUtf8(data, span[prefix..], out _, out var written);
        output.Advance(prefix + written);
    }

    private static void WriteLengthPrefix(IBufferWriter<byte> output, int length)
    {
        var span = output.GetSpan(12);
        length.TryFormat(span, out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        span[written] = (byte)':';
        output.Advance(written + 1);
    }

    private static void WriteAscii(IBufferWriter<byte> output, string text)
    {
        var span = output.GetSpan(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            span[i] = (byte)text[i];
        }

        output.Advance(text.Length);
    }

    private static bool TryParseDecimal(ReadOnlySpan<byte> digits, out int value)
    {
        value = 0;
        foreach (var b in digits)
        {
            var d = b - (byte)'0';
            if ((uint)d > 9 || value > (int.MaxValue - d) / 10)
            {
                return false;
            }

            value = (value * 10) + d;
        }

        return true;
    }

    /// <summary>
    /// The number of UTF-8 bytes that hold the first <paramref name="utf16Length"/> UTF-16 code units of
    /// <paramref name="utf8"/>, or -1 if the text is shorter or the count splits a character.
    /// </summary>
    internal static int Utf8LengthOfUtf16Prefix(ReadOnlySpan<byte> utf8, int utf16Length)
    {
        var bytes = 0;
        var units = 0;
        while (units < utf16Length)
        {
            if (Rune.DecodeFromUtf8(utf8[bytes..], out var rune, out var consumed) != OperationStatus.Done)
            {
                return -1;
            }

            units += rune.Utf16SequenceLength;
            bytes += consumed;
        }

        return units == utf16Length ? bytes : -1;
    }
}
