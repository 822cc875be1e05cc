using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using FastIo.SocketIO;
using FastIo.SocketIO.Protocol;
using MessagePack;

namespace FastIo.Adapters.Redis;

/// <summary>
/// The bytes of @socket.io/redis-adapter 8.3 and @socket.io/redis-emitter 5.x (../shared/docs/redis-wire.md):
/// broadcasts as msgpack <c>[uid, packet, opts]</c>, requests and responses as JSON or msgpack told apart by a
/// leading <c>{</c>, binary inline as msgpack <c>bin</c> (never placeholders, never packet type 5).
/// </summary>
internal static class RedisWire
{
    /// <summary>Socket.IO EVENT: broadcasts always carry type 2, even with binary (type 5 breaks Node's encoder, §1.4).</summary>
    public const int EventType = 2;

    /// <summary>
    /// <c>[uid, {type, data, nsp}, {rooms, except, flags}]</c>; the emitter writes its opts keys in the order rooms,
    /// flags, except and <paramref name="emitterOrder"/> reproduces that byte for byte.
    /// </summary>
    public static byte[] EncodeBroadcast(string uid, SocketPacket packet, BroadcastOptions options, bool emitterOrder = false)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + packet.Data.Length);
        var writer = new MessagePackWriter(buffer);
        writer.WriteArrayHeader(3);
        writer.Write(uid);
        WritePacket(ref writer, packet);
        if (emitterOrder)
        {
            writer.WriteMapHeader(3);
            WriteRooms(ref writer, "rooms", options.Rooms);
            WriteFlags(ref writer, options, withTimeout: false);
            WriteRooms(ref writer, "except", options.Except);
        }
        else
        {
            WriteOptions(ref writer, options, withFlags: true, withTimeout: false);
        }

        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The BROADCAST (with ack) request, type 7, always msgpack as Node's parser sends it (§2.4).</summary>
    public static byte[] EncodeBroadcastRequest(string uid, string requestId, SocketPacket packet, BroadcastOptions options)
    {
        var buffer = new ArrayBufferWriter<byte>(96 + packet.Data.Length);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(5);
        writer.Write("uid");
        writer.Write(uid);
        writer.Write("requestId");
        writer.Write(requestId);
        writer.Write("type");
        writer.Write((int)RequestType.Broadcast);
        writer.Write("packet");
        WritePacket(ref writer, packet);
        writer.Write("opts");
        WriteOptions(ref writer, options, withFlags: true, withTimeout: true);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// A msgpack map of a few string fields then one JSON value as msgpack (placeholders become <c>bin</c>): the
    /// BROADCAST_ACK response <c>{type:9, requestId, packet}</c> and requests whose arguments hold binary.
    /// </summary>
    public static byte[] EncodeMsgPackMap(ReadOnlySpan<(string Name, object Value)> fields, string? jsonName, ReadOnlySpan<byte> json, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + json.Length);
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(fields.Length + (jsonName is null ? 0 : 1));
        foreach (var (name, value) in fields)
        {
            writer.Write(name);
            switch (value)
            {
                case int i:
                    writer.Write(i);
                    break;
                default:
                    writer.Write(value.ToString());
                    break;
            }
        }

        if (jsonName is not null)
        {
            writer.Write(jsonName);
            JsonToMsgPack.Write(ref writer, json, attachments);
        }

        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes <c>{"rooms":[…],"except":[…]}</c> (the selector of requests 2–5, which carry no flags).</summary>
    public static void WriteJsonSelector(Utf8JsonWriter json, BroadcastOptions options)
    {
        json.WriteStartObject("opts");
        WriteJsonRooms(json, "rooms", options.Rooms);
        WriteJsonRooms(json, "except", options.Except);
        json.WriteEndObject();
    }

    /// <summary>What follows the selector of a join or leave (<c>rooms</c>) or a disconnect (<c>close</c>), in either protocol.</summary>
    public static void WriteJsonRoomsOrClose(Utf8JsonWriter json, IReadOnlyCollection<string>? rooms, bool close)
    {
        if (rooms is not null)
        {
            WriteJsonRooms(json, "rooms", rooms);
        }
        else
        {
            json.WriteBoolean("close", close);
        }
    }

    public static void WriteJsonRooms(Utf8JsonWriter json, string name, IEnumerable<string> rooms)
    {
        json.WriteStartArray(name);
        foreach (var room in rooms)
        {
            json.WriteStringValue(room);
        }

        json.WriteEndArray();
    }

    /// <summary>
    /// Parses a request or response: JSON when it starts with <c>{</c>, else msgpack translated to JSON with each
    /// <c>bin</c> as a placeholder into <paramref name="attachments"/>. Throws <see cref="FormatException"/> or
    /// <see cref="JsonException"/> on garbage; callers log and skip.
    /// </summary>
    public static JsonDocument Parse(ReadOnlyMemory<byte> payload, out IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        attachments = Array.Empty<ReadOnlyMemory<byte>>();
        if (payload.IsEmpty)
        {
            throw new FormatException("empty message");
        }

        if (payload.Span[0] == (byte)'{')
        {
            return JsonDocument.Parse(payload);
        }

        var reader = new MessagePackReader(payload);
        var buffer = new ArrayBufferWriter<byte>(payload.Length * 2);
        List<ReadOnlyMemory<byte>>? found = null;
        using (var json = new Utf8JsonWriter(buffer))
        {
            string? error;
            try
            {
                error = MsgPackToJson.Write(ref reader, json, ref found, 0);
            }
            catch (MessagePackSerializationException e)
            {
                throw new FormatException("malformed msgpack", e);
            }
            catch (EndOfStreamException e)
            {
                throw new FormatException("truncated msgpack", e);
            }

            if (error is not null || !reader.End)
            {
                throw new FormatException(error ?? "trailing bytes after the msgpack value");
            }
        }

        if (found is not null)
        {
            attachments = found;
        }

        return JsonDocument.Parse(buffer.WrittenMemory);
    }

    /// <summary>Rooms of a selector: strings, or numbers (a JS room may be a number; we hold it as its text).</summary>
    public static HashSet<string> ReadRooms(JsonElement parent, string name)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        if (parent.ValueKind == JsonValueKind.Object && parent.TryGetProperty(name, out var rooms) && rooms.ValueKind == JsonValueKind.Array)
        {
            foreach (var room in rooms.EnumerateArray())
            {
                if (room.ValueKind == JsonValueKind.String)
                {
                    result.Add(room.GetString()!);
                }
                else if (room.ValueKind == JsonValueKind.Number)
                {
                    result.Add(room.GetRawText());
                }
            }
        }

        return result;
    }

    /// <summary>The <c>opts</c> of a request as options; flags other than volatile/compress are ignored (§1.5).</summary>
    public static BroadcastOptions ReadOptions(JsonElement request, bool withFlags)
    {
        var opts = request.TryGetProperty("opts", out var o) ? o : default;
        var flags = withFlags && opts.ValueKind == JsonValueKind.Object && opts.TryGetProperty("flags", out var f) ? f : default;
        return new BroadcastOptions
        {
            Rooms = ReadRooms(opts, "rooms"),
            Except = ReadRooms(opts, "except"),
            Volatile = flags.ValueKind == JsonValueKind.Object && flags.TryGetProperty("volatile", out var v) && v.ValueKind == JsonValueKind.True,
            Compress = !(flags.ValueKind == JsonValueKind.Object && flags.TryGetProperty("compress", out var c) && c.ValueKind == JsonValueKind.False),
        };
    }

    /// <summary>The raw UTF-8 JSON of an element (for packet data and ack values).</summary>
    public static byte[] Raw(JsonElement element) => JsonMarshal.GetRawUtf8Value(element).ToArray();

    private static void WritePacket(ref MessagePackWriter writer, SocketPacket packet)
    {
        writer.WriteMapHeader(3);
        writer.Write("type");
        writer.Write(EventType);
        writer.Write("data");
        JsonToMsgPack.Write(ref writer, packet.Data.Span, packet.Attachments);
        writer.Write("nsp");
        writer.Write(packet.Namespace);
    }

    private static void WriteOptions(ref MessagePackWriter writer, BroadcastOptions options, bool withFlags, bool withTimeout)
    {
        writer.WriteMapHeader(withFlags ? 3 : 2);
        WriteRooms(ref writer, "rooms", options.Rooms);
        WriteRooms(ref writer, "except", options.Except);
        if (withFlags)
        {
            WriteFlags(ref writer, options, withTimeout);
        }
    }

    private static void WriteFlags(ref MessagePackWriter writer, BroadcastOptions options, bool withTimeout)
    {
        var timeout = withTimeout && options.Timeout is { } t ? (long)t.TotalMilliseconds : -1;
        writer.Write("flags");
        writer.WriteMapHeader((options.Volatile ? 1 : 0) + (options.Compress ? 0 : 1) + (timeout >= 0 ? 1 : 0));
        if (options.Volatile)
        {
            writer.Write("volatile");
            writer.Write(true);
        }

        if (!options.Compress)
        {
            writer.Write("compress");
            writer.Write(false);
        }

        if (timeout >= 0)
        {
            writer.Write("timeout");
            writer.Write(timeout);
        }
    }

    private static void WriteRooms(ref MessagePackWriter writer, string name, IReadOnlySet<string> rooms)
    {
        writer.Write(name);
        writer.WriteArrayHeader(rooms.Count);
        foreach (var room in rooms)
        {
            writer.Write(room);
        }
    }
}
