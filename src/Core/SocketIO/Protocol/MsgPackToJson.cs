using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using System.Text.Unicode;
using MessagePack;

namespace FastIo.SocketIO.Protocol;

/// <summary>
/// Translates a msgpack value into the parser-neutral JSON: <c>bin</c> values (at any depth) become
/// <c>{"_placeholder":true,"num":n}</c> plus an attachment, the rest maps onto JSON as JSON.stringify would render
/// what notepack.io decodes (socket.io-msgpack-parser's codec).
/// </summary>
internal static class MsgPackToJson
{
    /// <summary>notepack.io's ext type for <c>undefined</c> (fixext 1), <c>Date</c> (fixext 8) and <c>ArrayBuffer</c> (ext 8/16/32).</summary>
    private const sbyte NotepackExtType = 0;

    /// <summary>The msgpack timestamp extension, which notepack.io 3 (the Redis adapter's codec) writes for <c>Date</c>.</summary>
    private const sbyte TimestampExtType = -1;

    /// <summary>Bytes a JSON string cannot hold raw: control characters, quote and backslash.</summary>
    private static readonly SearchValues<byte> MustEscape = SearchValues.Create(
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, (byte)'"', (byte)'\\']);

    /// <summary>
    /// Writes the value at <paramref name="reader"/> to <paramref name="json"/>; returns null, or a short reason when
    /// the value has no JSON form. Malformed msgpack throws from the reader (the caller maps that to Invalid).
    /// </summary>
    public static string? Write(ref MessagePackReader reader, Utf8JsonWriter json, ref List<ReadOnlyMemory<byte>>? attachments, int depth)
    {
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Nil:
                reader.ReadNil();
                json.WriteNullValue();
                return null;
            case MessagePackType.Boolean:
                json.WriteBooleanValue(reader.ReadBoolean());
                return null;
            case MessagePackType.Integer:
                // Integers stay integral; uint64 beyond long.MaxValue keeps its exact value too.
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    json.WriteNumberValue(reader.ReadUInt64());
                }
                else
                {
                    json.WriteNumberValue(reader.ReadInt64());
                }

                return null;
            case MessagePackType.Float:
                WriteDouble(json, reader.NextCode == MessagePackCode.Float32 ? reader.ReadSingle() : reader.ReadDouble());
                return null;
            case MessagePackType.String:
            {
                var utf8 = ReadString(ref reader);
                if (!Utf8.IsValid(utf8))
                {
                    return "invalid UTF-8 string";
                }

                WriteString(json, utf8);
                return null;
            }

            case MessagePackType.Binary:
                WriteAttachment(json, reader.ReadBytes()?.ToArray() ?? [], ref attachments);
                return null;
            case MessagePackType.Array:
            {
                if (depth >= SocketIOJsonPayload.MaxDepth)
                {
                    return "payload nested too deeply";
                }

                int count = reader.ReadArrayHeader();
                json.WriteStartArray();
                for (int i = 0; i < count; i++)
                {
                    string? error = Write(ref reader, json, ref attachments, depth + 1);
                    if (error is not null)
                    {
                        return error;
                    }
                }

                json.WriteEndArray();
                return null;
            }

            case MessagePackType.Map:
            {
                if (depth >= SocketIOJsonPayload.MaxDepth)
                {
                    return "payload nested too deeply";
                }

                int count = reader.ReadMapHeader();
                json.WriteStartObject();
                for (int i = 0; i < count; i++)
                {
                    // notepack.io never writes other keys for JS objects; rather than guess a stringification, refuse.
                    if (reader.NextMessagePackType != MessagePackType.String)
                    {
                        return "map key is not a string";
                    }

                    var key = ReadString(ref reader);
                    if (!Utf8.IsValid(key))
                    {
                        return "invalid UTF-8 string";
                    }

                    json.WritePropertyName(key);
                    string? error = Write(ref reader, json, ref attachments, depth + 1);
                    if (error is not null)
                    {
                        return error;
                    }
                }

                json.WriteEndObject();
                return null;
            }

            case MessagePackType.Extension:
                return WriteExtension(ref reader, json, ref attachments);
            default:
                return "unknown msgpack value";
        }
    }

    /// <summary>Whether the next value is notepack.io's <c>undefined</c> (fixext 1, type 0).</summary>
    public static bool IsUndefined(ref MessagePackReader reader)
    {
        if (reader.NextCode != MessagePackCode.FixExt1)
        {
            return false;
        }

        var peek = reader.CreatePeekReader();
        return peek.ReadExtensionFormatHeader().TypeCode == NotepackExtType;
    }

    /// <summary>
    /// notepack.io (Node) writes <c>undefined</c>, <c>Date</c> and non-Buffer binary (ArrayBuffer, typed arrays) as
    /// type-0 extensions; we render them as JSON.stringify would after notepack.io's decode (null, ISO string,
    /// attachment). Any other extension has no JSON form.
    /// </summary>
    private static string? WriteExtension(ref MessagePackReader reader, Utf8JsonWriter json, ref List<ReadOnlyMemory<byte>>? attachments)
    {
        byte code = reader.NextCode;
        var header = reader.ReadExtensionFormatHeader();
        var body = reader.ReadRaw(header.Length);
        if (header.TypeCode == TimestampExtType)
        {
            return WriteTimestamp(body, json);
        }

        if (header.TypeCode != NotepackExtType)
        {
            return "unsupported msgpack extension";
        }

        switch (code)
        {
            case MessagePackCode.FixExt1:
                // undefined: JSON.stringify renders it as null inside arrays (and drops it from objects; we keep null).
                json.WriteNullValue();
                return null;
            case MessagePackCode.FixExt8:
            {
                Span<byte> raw = stackalloc byte[8];
                body.CopyTo(raw);
                long ms = ((long)BinaryPrimitives.ReadInt32BigEndian(raw) << 32) | BinaryPrimitives.ReadUInt32BigEndian(raw[4..]);
                WriteDate(json, ms);
                return null;
            }

            case MessagePackCode.Ext8:
            case MessagePackCode.Ext16:
            case MessagePackCode.Ext32:
                WriteAttachment(json, body.ToArray(), ref attachments);
                return null;
            default:
                return "unsupported msgpack extension";
        }
    }

    /// <summary>The timestamp extension's 32, 64 and 96-bit forms, rendered as Date.prototype.toJSON does.</summary>
    private static string? WriteTimestamp(ReadOnlySequence<byte> body, Utf8JsonWriter json)
    {
        Span<byte> raw = stackalloc byte[12];
        if (body.Length is not (4 or 8 or 12))
        {
            return "malformed msgpack timestamp";
        }

        body.CopyTo(raw);
        long seconds;
        long nanoseconds = 0;
        switch (body.Length)
        {
            case 4:
                seconds = BinaryPrimitives.ReadUInt32BigEndian(raw);
                break;
            case 8:
                ulong packed = BinaryPrimitives.ReadUInt64BigEndian(raw);
                nanoseconds = (long)(packed >> 34);
                seconds = (long)(packed & 0x3_FFFF_FFFF);
                break;
            default:
                nanoseconds = BinaryPrimitives.ReadUInt32BigEndian(raw);
                seconds = BinaryPrimitives.ReadInt64BigEndian(raw[4..]);
                break;
        }

        if (seconds is < -62_135_596_800L or > 253_402_300_799L)
        {
            json.WriteNullValue();
            return null;
        }

        WriteDate(json, (seconds * 1000) + (nanoseconds / 1_000_000));
        return null;
    }

    /// <summary>
    /// Writes a string as JSON.stringify does, raw UTF-8 with only quotes, backslashes and control characters
    /// escaped. Utf8JsonWriter's encoders also escape every non-BMP character (emoji), so strings that need no
    /// escaping at all are written raw; the rest take the writer's (valid, if more eager) escaping.
    /// </summary>
    private static void WriteString(Utf8JsonWriter json, ReadOnlySpan<byte> utf8)
    {
        if (utf8.IndexOfAny(MustEscape) >= 0)
        {
            json.WriteStringValue(utf8);
            return;
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(utf8.Length + 2);
        try
        {
            rented[0] = (byte)'"';
            utf8.CopyTo(rented.AsSpan(1));
            rented[utf8.Length + 1] = (byte)'"';
            json.WriteRawValue(rented.AsSpan(0, utf8.Length + 2), skipInputValidation: true);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static void WriteDate(Utf8JsonWriter json, long ms)
    {
        // Date.prototype.toJSON gives the ISO form; out of .NET's range (years 1..9999) it renders null like an
        // invalid Date would.
        if (ms < -62_135_596_800_000 || ms > 253_402_300_799_999)
        {
            json.WriteNullValue();
            return;
        }

        var date = DateTimeOffset.FromUnixTimeMilliseconds(ms);
        json.WriteStringValue(date.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
    }

    private static void WriteDouble(Utf8JsonWriter json, double value)
    {
        // JSON.stringify writes NaN and ±Infinity as null.
        if (double.IsFinite(value))
        {
            json.WriteNumberValue(value);
        }
        else
        {
            json.WriteNullValue();
        }
    }

    private static void WriteAttachment(Utf8JsonWriter json, byte[] bytes, ref List<ReadOnlyMemory<byte>>? attachments)
    {
        attachments ??= [];
        json.WriteStartObject();
        json.WriteBoolean("_placeholder"u8, true);
        json.WriteNumber("num"u8, attachments.Count);
        json.WriteEndObject();
        attachments.Add(bytes);
    }

    /// <summary>Reads a string's UTF-8 bytes (unvalidated).</summary>
    public static ReadOnlySpan<byte> ReadString(ref MessagePackReader reader)
    {
        if (reader.TryReadStringSpan(out var span))
        {
            return span;
        }

        // Only for non-contiguous input, which the decoder never builds; copy to stay correct regardless.
        return reader.ReadStringSequence()?.ToArray() ?? [];
    }
}
