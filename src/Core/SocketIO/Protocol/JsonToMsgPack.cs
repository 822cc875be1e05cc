using System.Buffers;
using System.Text;
using System.Text.Json;
using MessagePack;

namespace FastIo.SocketIO.Protocol;

/// <summary>
/// Translates parser-neutral JSON into msgpack the way notepack.io encodes the equivalent JS value, so that our
/// bytes match socket.io-msgpack-parser's: maps with string keys in document order, integral numbers as the
/// smallest int format, other numbers as float 64, and placeholders <c>{"_placeholder":true,"num":n}</c> with a
/// valid <c>n</c> as <c>bin</c> 8/16/32 holding the attachment.
/// </summary>
internal static class JsonToMsgPack
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = SocketIOJsonPayload.MaxDepth };

    /// <summary>
    /// Writes <paramref name="json"/>. Throws <see cref="ArgumentException"/> when it is not valid JSON: the payload
    /// of a packet to encode comes from our own code, so that is a programmer error.
    /// </summary>
    public static void Write(ref MessagePackWriter writer, ReadOnlySpan<byte> json, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        // msgpack headers carry element counts that JSON does not, so a first pass measures every container (and
        // finds the placeholders), and the second writes.
        var containers = ArrayPool<Container>.Shared.Rent(16);
        try
        {
            Measure(json, attachments.Count, ref containers);
            Emit(ref writer, json, attachments, containers);
        }
        catch (JsonException e)
        {
            throw new ArgumentException("The packet payload is not valid JSON.", nameof(json), e);
        }
        finally
        {
            ArrayPool<Container>.Shared.Return(containers);
        }
    }

    private static void Measure(ReadOnlySpan<byte> json, int attachmentCount, ref Container[] containers)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        Span<int> open = stackalloc int[SocketIOJsonPayload.MaxDepth + 2];
        int top = -1;
        int total = 0;
        int pending = 0; // 1: the next value is "_placeholder"'s, 2: it is "num"'s.
        while (reader.Read())
        {
            var token = reader.TokenType;
            switch (token)
            {
                case JsonTokenType.PropertyName:
                    containers[open[top]].Count++;
                    pending = reader.ValueTextEquals("_placeholder"u8) ? 1 : reader.ValueTextEquals("num"u8) ? 2 : 0;
                    continue;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                {
                    ref var closed = ref containers[open[top--]];
                    closed.Next = total;
                    closed.Placeholder &= (uint)closed.Num < (uint)attachmentCount;
                    continue;
                }
            }

            if (top >= 0)
            {
                ref var parent = ref containers[open[top]];
                if (!parent.IsObject)
                {
                    parent.Count++;
                }
                else if (pending == 1)
                {
                    parent.Placeholder = token == JsonTokenType.True;
                }
                else if (pending == 2)
                {
                    parent.Num = token == JsonTokenType.Number && reader.TryGetInt32(out int num) ? num : -1;
                }
            }

            pending = 0;
            if (token is JsonTokenType.StartObject or JsonTokenType.StartArray)
            {
                if (total == containers.Length)
                {
                    var larger = ArrayPool<Container>.Shared.Rent(total * 2);
                    containers.AsSpan(0, total).CopyTo(larger);
                    ArrayPool<Container>.Shared.Return(containers);
                    containers = larger;
                }

                containers[total] = new Container { IsObject = token == JsonTokenType.StartObject, Num = -1 };
                open[++top] = total++;
            }
        }
    }

    private static void Emit(ref MessagePackWriter writer, ReadOnlySpan<byte> json, IReadOnlyList<ReadOnlyMemory<byte>> attachments, Container[] containers)
    {
        var reader = new Utf8JsonReader(json, ReaderOptions);
        int index = 0;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                {
                    ref var container = ref containers[index];
                    if (container.Placeholder)
                    {
                        writer.Write(attachments[container.Num].Span);
                        index = container.Next;
                        reader.Skip();
                    }
                    else
                    {
                        writer.WriteMapHeader(container.Count);
                        index++;
                    }

                    break;
                }

                case JsonTokenType.StartArray:
                    writer.WriteArrayHeader(containers[index++].Count);
                    break;
                case JsonTokenType.PropertyName:
                case JsonTokenType.String:
                    WriteString(ref writer, ref reader);
                    break;
                case JsonTokenType.Number:
                    WriteNumber(ref writer, ref reader);
                    break;
                case JsonTokenType.True:
                    writer.Write(true);
                    break;
                case JsonTokenType.False:
                    writer.Write(false);
                    break;
                case JsonTokenType.Null:
                    writer.WriteNil();
                    break;
            }
        }
    }

    private static void WriteString(ref MessagePackWriter writer, ref Utf8JsonReader reader)
    {
        if (!reader.ValueIsEscaped)
        {
            writer.WriteString(reader.ValueSpan);
            return;
        }

        // Unescaping never lengthens a string.
        int max = reader.ValueSpan.Length;
        byte[] rented = ArrayPool<byte>.Shared.Rent(max);
        try
        {
            int written;
            try
            {
                written = reader.CopyString(rented);
            }
            catch (InvalidOperationException)
            {
                // A lone surrogate escape ("\ud800"): valid JSON that JSON.parse accepts from any client, but not
                // UTF-8. Substitute U+FFFD rather than fail the encode.
                written = UnescapeLossy(reader.ValueSpan, rented);
            }

            writer.WriteString(rented.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Unescapes a JSON string body into UTF-8, writing U+FFFD for unpaired surrogates.</summary>
    private static int UnescapeLossy(ReadOnlySpan<byte> escaped, Span<byte> destination)
    {
        int written = 0;
        int pendingHigh = -1;
        for (int i = 0; i < escaped.Length;)
        {
            if (escaped[i] != (byte)'\\' || escaped[i + 1] != (byte)'u')
            {
                written += FlushHigh(ref pendingHigh, destination[written..]);
                if (escaped[i] != (byte)'\\')
                {
                    destination[written++] = escaped[i++];
                    continue;
                }

                destination[written++] = escaped[i + 1] switch
                {
                    (byte)'b' => (byte)'\b',
                    (byte)'f' => (byte)'\f',
                    (byte)'n' => (byte)'\n',
                    (byte)'r' => (byte)'\r',
                    (byte)'t' => (byte)'\t',
                    var other => other, // '"', '\\' and '/' stand for themselves.
                };
                i += 2;
                continue;
            }

            int unit = int.Parse(escaped.Slice(i + 2, 4), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture);
            i += 6;
            if (char.IsHighSurrogate((char)unit))
            {
                written += FlushHigh(ref pendingHigh, destination[written..]);
                pendingHigh = unit;
                continue;
            }

            var rune = Rune.ReplacementChar;
            if (char.IsLowSurrogate((char)unit))
            {
                if (pendingHigh >= 0)
                {
                    rune = new Rune((char)pendingHigh, (char)unit);
                    pendingHigh = -1;
                }
            }
            else
            {
                written += FlushHigh(ref pendingHigh, destination[written..]);
                rune = new Rune(unit);
            }

            written += rune.EncodeToUtf8(destination[written..]);
        }

        return written + FlushHigh(ref pendingHigh, destination[written..]);
    }

    private static int FlushHigh(ref int pendingHigh, Span<byte> destination)
    {
        if (pendingHigh < 0)
        {
            return 0;
        }

        pendingHigh = -1;
        return Rune.ReplacementChar.EncodeToUtf8(destination);
    }

    private static void WriteNumber(ref MessagePackWriter writer, ref Utf8JsonReader reader)
    {
        // A JS number is a double and notepack.io writes it as an int whenever its value is integral (so 1.0 and
        // 1e3 go as ints), otherwise as float 64. MessagePackWriter picks the same smallest int formats.
        if (reader.TryGetInt64(out long integer))
        {
            writer.Write(integer);
        }
        else if (reader.TryGetUInt64(out ulong unsigned))
        {
            writer.Write(unsigned);
        }
        else if (reader.TryGetDouble(out double value))
        {
            if (Math.Floor(value) == value && value >= long.MinValue && value < 9.2233720368547758E18)
            {
                writer.Write((long)value);
            }
            else
            {
                writer.Write(value);
            }
        }
        else
        {
            // Only out-of-range literals (e.g. 1e400) get here: JSON.parse makes them ±Infinity.
            writer.Write(reader.ValueSpan[0] == (byte)'-' ? double.NegativeInfinity : double.PositiveInfinity);
        }
    }

    /// <summary>What the first pass learns about one object or array, in document order.</summary>
    private struct Container
    {
        /// <summary>Elements (arrays) or properties (objects).</summary>
        public int Count;

        /// <summary>Index of the first container after this one's subtree.</summary>
        public int Next;

        /// <summary>The last <c>num</c> value if an int, else -1.</summary>
        public int Num;

        public bool IsObject;

        /// <summary>Whether the last <c>_placeholder</c> is <c>true</c> (and, once closed, <c>num</c> is valid).</summary>
        public bool Placeholder;
    }
}
