using System.Text.Json;
using System.Text.Json.Nodes;

namespace FastIo.SocketIO;

/// <summary>
/// The arguments of an event or an acknowledgement, kept as the JSON the peer sent and deserialized lazily, one
/// argument at a time, into whatever type the handler asks for. Binary arguments (attachments) come back as
/// <c>byte[]</c> or <see cref="ReadOnlyMemory{T}"/>, wherever they sit in the structure.
/// </summary>
public class SocketArgs
{
    private readonly ReadOnlyMemory<byte> _json;
    private readonly int _skip;
    private readonly JsonSerializerOptions _options;
    private int _count = -1;

    internal SocketArgs(ReadOnlyMemory<byte> jsonArray, int skip, IReadOnlyList<ReadOnlyMemory<byte>> attachments, JsonSerializerOptions options)
    {
        _json = jsonArray;
        _skip = skip;
        Attachments = attachments;
        _options = options;
    }

    /// <summary>The raw UTF-8 JSON array as received (for an event, the event name is its first element).</summary>
    public ReadOnlyMemory<byte> RawJson => _json;

    /// <summary>The binary attachments the placeholders in <see cref="RawJson"/> refer to.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Attachments { get; }

    /// <summary>The number of arguments.</summary>
    public int Count
    {
        get
        {
            if (_count < 0)
            {
                _count = ArgumentReader.Count(_json.Span, _skip);
            }

            return _count;
        }
    }

    /// <summary>Deserializes argument <paramref name="index"/> as <typeparamref name="T"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">There is no such argument.</exception>
    /// <exception cref="JsonException">The argument does not fit <typeparamref name="T"/>.</exception>
    public T? Get<T>(int index = 0) => ArgumentReader.Get<T>(_json.Span, _skip, index, Attachments, _options);

    /// <summary>
    /// Argument <paramref name="index"/> as the exact UTF-8 JSON it was sent as (placeholders left as they are), to
    /// pass on or send back unchanged with <see cref="SocketMessage.AckRawJson"/> without building a document.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">There is no such argument.</exception>
    public ReadOnlyMemory<byte> GetRawJson(int index = 0)
    {
        var (start, length) = ArgumentReader.Locate(_json.Span, _skip, index);
        return _json.Slice(start, length);
    }

    /// <summary>Argument <paramref name="index"/> as a JSON element (placeholders left as they are).</summary>
    public JsonElement GetJson(int index = 0)
    {
        var reader = Seek(index);
        return JsonElement.ParseValue(ref reader);
    }

    /// <summary>Argument <paramref name="index"/> if it is binary, else null.</summary>
    public byte[]? GetBytes(int index = 0)
    {
        var element = GetJson(index);
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("_placeholder", out var p) &&
            p.ValueKind == JsonValueKind.True && element.TryGetProperty("num", out var num) &&
            num.TryGetInt32(out var n) && (uint)n < (uint)Attachments.Count)
        {
            return Attachments[n].ToArray();
        }

        return null;
    }

    /// <summary>Every argument as a JSON element, for logging or forwarding.</summary>
    public JsonElement[] ToJsonArray()
    {
        var result = new JsonElement[Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = GetJson(i);
        }

        return result;
    }

    /// <summary>
    /// The arguments as values that can be emitted again unchanged (echo, forwarding): JSON nodes, with every
    /// binary value (at any depth) as a <c>byte[]</c>, so it travels as an attachment again.
    /// </summary>
    public object?[] ToArguments()
    {
        var result = new object?[Count];
        for (var i = 0; i < result.Length; i++)
        {
            var reader = Seek(i);
            var node = JsonNode.Parse(ref reader);
            result[i] = ResolvePlaceholders(node);
        }

        return result;
    }

    /// <summary>The arguments as a JSON array text.</summary>
    public override string ToString() => System.Text.Encoding.UTF8.GetString(_json.Span);

    private object? ResolvePlaceholders(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj when obj.Count == 2 && obj["_placeholder"] is JsonValue flag &&
                                     flag.GetValueKind() == JsonValueKind.True && obj["num"] is JsonValue num &&
                                     num.TryGetValue<int>(out var n) && (uint)n < (uint)Attachments.Count:
                return Attachments[n].ToArray();
            case JsonObject obj:
                foreach (var name in obj.Select(p => p.Key).ToArray())
                {
                    var resolved = ResolvePlaceholders(obj[name]);
                    if (resolved is byte[] bytes)
                    {
                        obj[name] = JsonValue.Create(bytes);
                    }
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    if (ResolvePlaceholders(array[i]) is byte[] bytes)
                    {
                        array[i] = JsonValue.Create(bytes);
                    }
                }

                return array;
            default:
                return node;
        }
    }

    private Utf8JsonReader Seek(int index) => ArgumentReader.Seek(_json.Span, _skip, index);
}
