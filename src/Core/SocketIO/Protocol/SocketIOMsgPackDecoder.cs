using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using MessagePack;

namespace FastIo.SocketIO.Protocol;

/// <summary>
/// Decodes socket.io-msgpack-parser 3.x messages: one binary message, one packet. Validation follows its
/// <c>checkPacket</c> (type an integer 0–4, <c>nsp</c> a string, data per type, <c>id</c> absent or an integer) and
/// notepack.io's refusal of trailing bytes. Stateless: binary values travel inline.
/// </summary>
internal sealed class SocketIOMsgPackDecoder : ISocketPacketDecoder
{
    private const string MainNamespace = "/";
    private const int MaxRetainedScratch = 64 * 1024;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // Keep non-ASCII text as UTF-8 as JSON.stringify does; the neutral JSON is never embedded in HTML.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        MaxDepth = SocketIOJsonPayload.MaxDepth + 1,
    };

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_json;

    private readonly int _maxAttachments;

    /// <summary>Creates a decoder refusing packets with more than <paramref name="maxAttachments"/> binary values.</summary>
    public SocketIOMsgPackDecoder(int maxAttachments)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxAttachments);
        _maxAttachments = maxAttachments;
    }

    /// <inheritdoc/>
    public bool IsIdle => true; // one message is one packet: nothing is held between messages

    /// <inheritdoc/>
    public SocketDecodeStatus Decode(ReadOnlySpan<byte> message, bool isBinary, out SocketPacket? packet, out string? error)
    {
        packet = null;
        if (!isBinary)
        {
            error = "text message in msgpack format";
            return SocketDecodeStatus.Invalid;
        }

        // MessagePackReader reads memory, not spans, and the message is only ours during the call: copy it.
        byte[] rented = ArrayPool<byte>.Shared.Rent(Math.Max(message.Length, 1));
        try
        {
            message.CopyTo(rented);
            error = Parse(rented.AsMemory(0, message.Length), out packet);
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or OverflowException)
        {
            packet = null;
            error = "malformed msgpack";
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return error is null ? SocketDecodeStatus.Packet : SocketDecodeStatus.Invalid;
    }

    private string? Parse(ReadOnlyMemory<byte> memory, out SocketPacket? packet)
    {
        packet = null;
        var reader = new MessagePackReader(memory);
        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            return "packet is not a map";
        }

        int entries = reader.ReadMapHeader();
        var typeKind = ValueKind.Absent;
        long type = 0;
        string? nsp = null;
        bool nspInvalid = false;
        var idKind = ValueKind.Absent;
        long id = -1;
        bool hasData = false;
        var data = reader; // Position of the "data" value, read once the type is known.
        for (int i = 0; i < entries; i++)
        {
            // Keys are compared as strings; JS would stringify other key types, which can never equal ours.
            if (reader.NextMessagePackType != MessagePackType.String)
            {
                Skip(ref reader);
                Skip(ref reader);
                continue;
            }

            var key = MsgPackToJson.ReadString(ref reader);
            if (key.SequenceEqual("type"u8))
            {
                typeKind = ReadInteger(ref reader, out type);
            }
            else if (key.SequenceEqual("nsp"u8))
            {
                // Later duplicates win, as when notepack.io fills a JS object.
                nspInvalid = reader.NextMessagePackType != MessagePackType.String;
                if (nspInvalid)
                {
                    Skip(ref reader);
                    nsp = null;
                }
                else
                {
                    var utf8 = MsgPackToJson.ReadString(ref reader);
                    nsp = utf8.SequenceEqual("/"u8) ? MainNamespace : Encoding.UTF8.GetString(utf8);
                }
            }
            else if (key.SequenceEqual("id"u8))
            {
                idKind = ReadInteger(ref reader, out id);
            }
            else if (key.SequenceEqual("data"u8))
            {
                // notepack.io's undefined is an absent payload.
                hasData = !MsgPackToJson.IsUndefined(ref reader);
                data = reader;
                Skip(ref reader);
            }
            else
            {
                Skip(ref reader);
            }
        }

        if (!reader.End)
        {
            return "trailing bytes";
        }

        if (typeKind != ValueKind.Integer || type < (long)SocketPacketType.Connect || type > (long)SocketPacketType.ConnectError)
        {
            return "invalid packet type";
        }

        if (nsp is null || nspInvalid)
        {
            return "invalid namespace";
        }

        var packetType = (SocketPacketType)type;
        if (!IsDataValid(packetType, hasData, data.NextMessagePackType))
        {
            return "invalid payload";
        }

        // Deliberate difference: a negative id is an integer to the reference, but -1 means "none" here and no client
        // sends negative ids.
        if (idKind == ValueKind.Other || (idKind == ValueKind.Integer && id < 0))
        {
            return "invalid packet id";
        }

        List<ReadOnlyMemory<byte>>? attachments = null;
        var payload = ReadOnlyMemory<byte>.Empty;
        if (hasData)
        {
            string? error = ToJson(ref data, ref attachments, out payload);
            if (error is not null)
            {
                return error;
            }
        }

        if (attachments is not null)
        {
            if (attachments.Count > _maxAttachments)
            {
                return "too many attachments";
            }

            // Neutral form: events and acks with binary values are BINARY_EVENT/BINARY_ACK. Binary in a CONNECT or
            // CONNECT_ERROR payload (possible here, not with the JSON parser) keeps its type and attachments.
            packetType = packetType switch
            {
                SocketPacketType.Event => SocketPacketType.BinaryEvent,
                SocketPacketType.Ack => SocketPacketType.BinaryAck,
                _ => packetType,
            };
        }

        packet = new SocketPacket
        {
            Type = packetType,
            Namespace = nsp,
            AckId = idKind == ValueKind.Integer ? id : -1,
            Data = payload,
            Attachments = attachments is null ? Array.Empty<ReadOnlyMemory<byte>>() : attachments.ToArray(),
        };
        return null;
    }

    private static bool IsDataValid(SocketPacketType type, bool hasData, MessagePackType kind) => type switch
    {
        SocketPacketType.Connect => !hasData || kind == MessagePackType.Map,
        SocketPacketType.Disconnect => !hasData,
        SocketPacketType.ConnectError => hasData && kind is MessagePackType.String or MessagePackType.Map,

        // No event-name check: socket.io-msgpack-parser only requires an array (even an empty one).
        _ => hasData && kind == MessagePackType.Array,
    };

    private static string? ToJson(ref MessagePackReader data, ref List<ReadOnlyMemory<byte>>? attachments, out ReadOnlyMemory<byte> payload)
    {
        payload = ReadOnlyMemory<byte>.Empty;
        var buffer = t_json ?? new ArrayBufferWriter<byte>(256);
        t_json = null;
        try
        {
            using var json = new Utf8JsonWriter(buffer, WriterOptions);
            string? error = MsgPackToJson.Write(ref data, json, ref attachments, 0);
            if (error is not null)
            {
                return error;
            }

            json.Flush();
            payload = buffer.WrittenSpan.ToArray();
            return null;
        }
        finally
        {
            if (buffer.Capacity <= MaxRetainedScratch)
            {
                buffer.ResetWrittenCount();
                t_json = buffer;
            }
        }
    }

    /// <summary>Reads an integer-valued number (JS's Number.isInteger, so 2.0 counts), undefined, or anything else.</summary>
    private static ValueKind ReadInteger(ref MessagePackReader reader, out long value)
    {
        value = 0;
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Integer:
                if (reader.NextCode == MessagePackCode.UInt64)
                {
                    ulong unsigned = reader.ReadUInt64();
                    value = (long)Math.Min(unsigned, long.MaxValue);
                    return unsigned <= long.MaxValue ? ValueKind.Integer : ValueKind.Other;
                }

                value = reader.ReadInt64();
                return ValueKind.Integer;
            case MessagePackType.Float:
            {
                double d = reader.NextCode == MessagePackCode.Float32 ? reader.ReadSingle() : reader.ReadDouble();
                if (Math.Floor(d) == d && d >= long.MinValue && d < 9.2233720368547758E18)
                {
                    value = (long)d;
                    return ValueKind.Integer;
                }

                return ValueKind.Other;
            }

            default:
            {
                bool undefined = MsgPackToJson.IsUndefined(ref reader);
                Skip(ref reader);
                return undefined ? ValueKind.Absent : ValueKind.Other;
            }
        }
    }

    /// <summary>Skips one value without recursion, so hostile nesting cannot exhaust the stack.</summary>
    private static void Skip(ref MessagePackReader reader)
    {
        long pending = 1;
        while (pending > 0)
        {
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Array:
                    pending += reader.ReadArrayHeader();
                    break;
                case MessagePackType.Map:
                    pending += 2L * reader.ReadMapHeader();
                    break;
                default:
                    reader.Skip();
                    break;
            }

            pending--;
        }
    }

    private enum ValueKind
    {
        Absent,
        Integer,
        Other,
    }
}
