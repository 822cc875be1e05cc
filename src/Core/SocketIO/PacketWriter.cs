using System.Buffers;
using System.Text.Json;
using FastIo.SocketIO.Protocol;

namespace FastIo.SocketIO;

/// <summary>Builds outgoing packets: arguments serialized with System.Text.Json, binary values as attachments.</summary>
/// <remarks>
/// The JSON is written into a per-thread scratch buffer and writer that are reused from packet to packet, so a packet
/// costs one exact-size array for its payload (or, on the single-target text path, for its whole encoded form) rather
/// than a buffer writer, its growth arrays and a JSON writer each time.
/// </remarks>
internal static class PacketWriter
{
    /// <summary>A scratch buffer that grew beyond this is not kept by its thread (one huge emit must not pin memory).</summary>
    private const int MaxRetainedScratchBytes = 64 * 1024;

    [ThreadStatic]
    private static Scratch? t_scratch;

    /// <summary>An EVENT (or BINARY_EVENT) packet <c>[eventName, ...args]</c>.</summary>
    public static SocketPacket Event(string nsp, string eventName, ReadOnlySpan<object?> args, long ackId, JsonSerializerOptions options) =>
        Array(SocketPacketType.Event, SocketPacketType.BinaryEvent, nsp, eventName, args, ackId, options);

    /// <summary>An ACK (or BINARY_ACK) packet <c>[...args]</c>.</summary>
    public static SocketPacket Ack(string nsp, long ackId, ReadOnlySpan<object?> args, JsonSerializerOptions options) =>
        Array(SocketPacketType.Ack, SocketPacketType.BinaryAck, nsp, null, args, ackId, options);

    /// <summary>
    /// The single-target fast path for the JSON parser: an EVENT (<paramref name="eventName"/> set) or ACK encoded
    /// completely into one array, ready for the session. When the arguments turn out to hold binary values, returns
    /// null and the packet with its attachments in <paramref name="binaryPacket"/> instead.
    /// </summary>
    public static byte[]? EncodeJsonText(
        string nsp, string? eventName, ReadOnlySpan<object?> args, long ackId, JsonSerializerOptions options, out SocketPacket? binaryPacket)
    {
        var type = eventName is null ? SocketPacketType.Ack : SocketPacketType.Event;
        var scratch = Rent();
        try
        {
            WriteArray(scratch, eventName, args, options);
            if (scratch.Attachments.Count == 0)
            {
                binaryPacket = null;
                return SocketIOJsonParser.EncodeText(type, nsp, ackId, scratch.Buffer.WrittenSpan);
            }

            binaryPacket = ToPacket(scratch, eventName is null ? SocketPacketType.BinaryAck : SocketPacketType.BinaryEvent, nsp, ackId);
            return null;
        }
        finally
        {
            Return(scratch);
        }
    }

    /// <summary>A packet whose payload is a JSON array (the event name first, if any); binary values become attachments.</summary>
    private static SocketPacket Array(
        SocketPacketType type, SocketPacketType binaryType, string nsp, string? eventName, ReadOnlySpan<object?> args, long ackId, JsonSerializerOptions options)
    {
        var scratch = Rent();
        try
        {
            WriteArray(scratch, eventName, args, options);
            return ToPacket(scratch, scratch.Attachments.Count > 0 ? binaryType : type, nsp, ackId);
        }
        finally
        {
            Return(scratch);
        }
    }

    /// <summary>A packet whose payload is one JSON value (CONNECT, CONNECT_ERROR) or none (DISCONNECT).</summary>
    public static SocketPacket Control(SocketPacketType type, string nsp, object? payload, JsonSerializerOptions options) => new()
    {
        Type = type,
        Namespace = nsp,
        Data = payload is null ? default : JsonSerializer.SerializeToUtf8Bytes(payload, payload.GetType(), options),
    };

    /// <summary>Appends a value to an event payload (the connection-state-recovery offset goes last).</summary>
    public static SocketPacket AppendArgument(SocketPacket packet, string value)
    {
        var data = packet.Data.Span;
        var encoded = JsonSerializer.SerializeToUtf8Bytes(value);
        var result = new byte[data.Length + 1 + encoded.Length];
        data[..^1].CopyTo(result);
        var at = data.Length - 1;
        result[at++] = (byte)',';
        encoded.CopyTo(result.AsSpan(at));
        result[^1] = (byte)']';
        return new SocketPacket
        {
            Type = packet.Type,
            Namespace = packet.Namespace,
            AckId = packet.AckId,
            Data = result,
            Attachments = packet.Attachments,
        };
    }

    private static void WriteArray(Scratch scratch, string? eventName, ReadOnlySpan<object?> args, JsonSerializerOptions options)
    {
        var writer = scratch.Writer;
        using (BinaryPlaceholders.BeginWrite(scratch.Attachments))
        {
            writer.WriteStartArray();
            if (eventName is not null)
            {
                writer.WriteStringValue(eventName);
            }

            WriteValues(writer, args, options);
            writer.WriteEndArray();
            writer.Flush();
        }
    }

    /// <summary>Copies the scratch's payload and attachments out into a packet that owns them.</summary>
    private static SocketPacket ToPacket(Scratch scratch, SocketPacketType type, string nsp, long ackId) => new()
    {
        Type = type,
        Namespace = nsp,
        AckId = ackId,
        Data = scratch.Buffer.WrittenSpan.ToArray(),
        Attachments = scratch.Attachments.Count == 0 ? System.Array.Empty<ReadOnlyMemory<byte>>() : scratch.Attachments.ToArray(),
    };

    private static void WriteValues(Utf8JsonWriter writer, ReadOnlySpan<object?> args, JsonSerializerOptions options)
    {
        foreach (var arg in args)
        {
            switch (arg)
            {
                case null:
                    writer.WriteNullValue();
                    break;
                case JsonElement element:
                    element.WriteTo(writer);
                    break;
                default:
                    JsonSerializer.Serialize(writer, arg, arg.GetType(), options);
                    break;
            }
        }
    }

    /// <summary>This thread's scratch, or a fresh one when it is in use further up the stack (a converter that emits).</summary>
    private static Scratch Rent()
    {
        var scratch = t_scratch ??= new Scratch();
        if (scratch.InUse)
        {
            scratch = new Scratch();
        }

        scratch.InUse = true;
        scratch.Buffer.ResetWrittenCount();
        scratch.Writer.Reset(scratch.Buffer);
        scratch.Attachments.Clear();
        return scratch;
    }

    private static void Return(Scratch scratch)
    {
        scratch.InUse = false;
        scratch.Attachments.Clear(); // the attachments belong to the packet now; do not keep them alive
        if (ReferenceEquals(scratch, t_scratch) && scratch.Buffer.Capacity > MaxRetainedScratchBytes)
        {
            t_scratch = null;
        }
    }

    private sealed class Scratch
    {
        public Scratch() => Writer = new Utf8JsonWriter(Buffer);

        public ArrayBufferWriter<byte> Buffer { get; } = new(256);

        public Utf8JsonWriter Writer { get; }

        public List<ReadOnlyMemory<byte>> Attachments { get; } = new();

        public bool InUse { get; set; }
    }
}
