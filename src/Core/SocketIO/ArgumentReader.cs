using System.Text.Json;

namespace FastIo.SocketIO;

/// <summary>
/// Reads the arguments of a JSON array in place (an event's or an acknowledgement's): count, seek, raw bytes and
/// deserialization, with no document built. Shared by <see cref="SocketArgs"/> and <see cref="SocketEvent"/>.
/// </summary>
internal static class ArgumentReader
{
    /// <summary>The number of elements after the first <paramref name="skip"/>.</summary>
    public static int Count(ReadOnlySpan<byte> json, int skip)
    {
        var reader = new Utf8JsonReader(json);
        var count = 0;
        if (reader.Read() && reader.TokenType == JsonTokenType.StartArray)
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                count++;
                reader.Skip();
            }
        }

        return Math.Max(0, count - skip);
    }

    /// <summary>A reader positioned on the first token of argument <paramref name="index"/> (after <paramref name="skip"/> elements).</summary>
    /// <exception cref="ArgumentOutOfRangeException">There is no such argument.</exception>
    public static Utf8JsonReader Seek(ReadOnlySpan<byte> json, int skip, int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new ArgumentOutOfRangeException(nameof(index), "No arguments");
        }

        var target = index + skip;
        for (var i = 0; ; i++)
        {
            if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray)
            {
                throw new ArgumentOutOfRangeException(nameof(index), $"There are only {i - skip} arguments");
            }

            if (i == target)
            {
                return reader;
            }

            reader.Skip();
        }
    }

    /// <summary>Where argument <paramref name="index"/> sits in <paramref name="json"/>, as the exact bytes it was sent as.</summary>
    public static (int Start, int Length) Locate(ReadOnlySpan<byte> json, int skip, int index)
    {
        var reader = Seek(json, skip, index);
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return (start, (int)reader.BytesConsumed - start);
    }

    /// <summary>Deserializes argument <paramref name="index"/>; binary placeholders resolve against <paramref name="attachments"/>.</summary>
    public static T? Get<T>(ReadOnlySpan<byte> json, int skip, int index, IReadOnlyList<ReadOnlyMemory<byte>> attachments, JsonSerializerOptions options)
    {
        var reader = Seek(json, skip, index);
        using (BinaryPlaceholders.BeginRead(attachments))
        {
            return JsonSerializer.Deserialize<T>(ref reader, options);
        }
    }
}
