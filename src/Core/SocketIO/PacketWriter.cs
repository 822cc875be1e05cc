using System.Buffers;
using System.Text.Json;
using FastIo.SocketIO.Protocol;

namespace FastIo.SocketIO;

/// <summary>Builds outgoing packets: arguments serialized with System.Text.Json, binary values as attachments.</summary>
internal static class PacketWriter
{
    /// <summary>An EVENT (or BINARY_EVENT) packet <c>[eventName, ...args]</c>.</summary>
    public static SocketPacket Event(string nsp, string eventName, ReadOnlySpan<object?> args, long ackId, JsonSerializerOptions options) =>
        Array(SocketPacketType.Event, SocketPacketType.BinaryEvent, nsp, eventName, args, ackId, options);

    /// <summary>An ACK (or BINARY_ACK) packet <c>[...args]</c>.</summary>
    public static SocketPacket Ack(string nsp, long ackId, ReadOnlySpan<object?> args, JsonSerializerOptions options) =>
        Array(SocketPacketType.Ack, SocketPacketType.BinaryAck, nsp, null, args, ackId, options);

    /// <summary>A packet whose payload is a JSON array (the event name first, if any); binary values become attachments.</summary>
    private static SocketPacket Array(
        SocketPacketType type, SocketPacketType binaryType, string nsp, string? eventName, ReadOnlySpan<object?> args, long ackId, JsonSerializerOptions options)
    {
        var attachments = new List<ReadOnlyMemory<byte>>();
        var buffer = new ArrayBufferWriter<byte>(64);
        using (BinaryPlaceholders.BeginWrite(attachments))
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            if (eventName is not null)
            {
                writer.WriteStringValue(eventName);
            }

            WriteValues(writer, args, options);
            writer.WriteEndArray();
        }

        return new SocketPacket
        {
            Type = attachments.Count > 0 ? binaryType : type,
            Namespace = nsp,
            AckId = ackId,
            Data = buffer.WrittenMemory,
            Attachments = attachments,
        };
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
}
