using System.Text.Json;
using System.Text.Json.Serialization;

namespace FastIo.SocketIO;

/// <summary>
/// Binary values in arguments (<c>byte[]</c>, <see cref="ReadOnlyMemory{T}"/>, <see cref="Memory{T}"/>) travel as
/// Socket.IO attachments: serialized as <c>{"_placeholder":true,"num":n}</c> and resolved back on reading. The
/// attachments of the packet being written or read are ambient to the thread (a converter has no other way to see
/// them), set only for the duration of one (de)serialization call.
/// </summary>
internal static class BinaryPlaceholders
{
    [ThreadStatic]
    private static List<ReadOnlyMemory<byte>>? t_writing;

    [ThreadStatic]
    private static IReadOnlyList<ReadOnlyMemory<byte>>? t_reading;

    /// <summary>Adds the converters to <paramref name="options"/>.</summary>
    public static void Register(JsonSerializerOptions options)
    {
        options.Converters.Add(new ByteArrayConverter());
        options.Converters.Add(new ReadOnlyMemoryConverter());
        options.Converters.Add(new MemoryConverter());
    }

    /// <summary>Collects attachments written while the scope is open.</summary>
    public static WriteScope BeginWrite(List<ReadOnlyMemory<byte>> attachments)
    {
        var previous = t_writing;
        t_writing = attachments;
        return new WriteScope(previous);
    }

    /// <summary>Resolves placeholders read while the scope is open.</summary>
    public static ReadScope BeginRead(IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        var previous = t_reading;
        t_reading = attachments;
        return new ReadScope(previous);
    }

    private static void WriteBinary(Utf8JsonWriter writer, ReadOnlyMemory<byte> value, JsonSerializerOptions options)
    {
        var attachments = t_writing;
        if (attachments is null)
        {
            // Outside a packet (e.g. user code serializing on its own): plain base64, as System.Text.Json does.
            writer.WriteBase64StringValue(value.Span);
            return;
        }

        writer.WriteStartObject();
        writer.WriteBoolean("_placeholder", true);
        writer.WriteNumber("num", attachments.Count);
        writer.WriteEndObject();
        attachments.Add(value);
    }

    private static ReadOnlyMemory<byte> ReadBinary(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetBytesFromBase64();
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException("Expected a binary placeholder");
        }

        var isPlaceholder = false;
        var num = -1;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            if (name == "_placeholder" && reader.TokenType == JsonTokenType.True)
            {
                isPlaceholder = true;
            }
            else if (name == "num" && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var n))
            {
                num = n;
            }
            else
            {
                reader.Skip();
            }
        }

        var attachments = t_reading;
        if (!isPlaceholder || attachments is null || (uint)num >= (uint)attachments.Count)
        {
            throw new JsonException("Invalid binary placeholder");
        }

        return attachments[num];
    }

    internal readonly struct WriteScope(List<ReadOnlyMemory<byte>>? previous) : IDisposable
    {
        public void Dispose() => t_writing = previous;
    }

    internal readonly struct ReadScope(IReadOnlyList<ReadOnlyMemory<byte>>? previous) : IDisposable
    {
        public void Dispose() => t_reading = previous;
    }

    private sealed class ByteArrayConverter : JsonConverter<byte[]>
    {
        public override byte[] Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            ReadBinary(ref reader).ToArray();

        public override void Write(Utf8JsonWriter writer, byte[] value, JsonSerializerOptions options) =>
            WriteBinary(writer, value, options);
    }

    private sealed class ReadOnlyMemoryConverter : JsonConverter<ReadOnlyMemory<byte>>
    {
        public override ReadOnlyMemory<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            ReadBinary(ref reader);

        public override void Write(Utf8JsonWriter writer, ReadOnlyMemory<byte> value, JsonSerializerOptions options) =>
            WriteBinary(writer, value, options);
    }

    private sealed class MemoryConverter : JsonConverter<Memory<byte>>
    {
        public override Memory<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            ReadBinary(ref reader).ToArray();

        public override void Write(Utf8JsonWriter writer, Memory<byte> value, JsonSerializerOptions options) =>
            WriteBinary(writer, value, options);
    }
}
