using System.Buffers;
using System.Text.Json;
using FastIo.EngineIO;
using FastIo.SocketIO.Protocol;

namespace FastIo.SocketIO;

/// <summary>Builds outgoing packets: arguments serialized with System.Text.Json, binary values as attachments.</summary>
/// <remarks>
/// The JSON is written into a per-thread scratch buffer and writer that are reused from packet to packet, so a packet
/// costs one exact-size array for its payload rather than a buffer writer, its growth arrays and a JSON writer each
/// time; on the single-target text path (acks, <c>socket.Emit</c>) it costs nothing: the scratch is handed to the
/// session, which copies it.
/// </remarks>
internal static class PacketWriter
{
    /// <summary>A scratch buffer that grew beyond this is not kept by its thread (one huge emit must not pin memory).</summary>
    private const int MaxRetainedScratchBytes = 64 * 1024;

    [ThreadStatic]
    private static Scratch? t_scratch;

    [ThreadStatic]
    private static SocketPacket? t_broadcastPacket;

    /// <summary>An EVENT (or BINARY_EVENT) packet <c>[eventName, ...args]</c>.</summary>
    public static SocketPacket Event(string nsp, string eventName, ReadOnlySpan<object?> args, long ackId, JsonSerializerOptions options) =>
        Array(SocketPacketType.Event, SocketPacketType.BinaryEvent, nsp, eventName, new ObjectArguments(args), ackId, options);

    /// <summary>An ACK (or BINARY_ACK) packet <c>[...args]</c>.</summary>
    public static SocketPacket Ack(string nsp, long ackId, ReadOnlySpan<object?> args, JsonSerializerOptions options) =>
        Array(SocketPacketType.Ack, SocketPacketType.BinaryAck, nsp, null, new ObjectArguments(args), ackId, options);

    /// <summary>An EVENT (<paramref name="eventName"/> set) or ACK packet with arguments of any kind.</summary>
    public static SocketPacket Array<TArgs>(string nsp, string? eventName, TArgs args, long ackId, JsonSerializerOptions options)
        where TArgs : IPacketArguments, allows ref struct =>
        eventName is null
            ? Array(SocketPacketType.Ack, SocketPacketType.BinaryAck, nsp, null, args, ackId, options)
            : Array(SocketPacketType.Event, SocketPacketType.BinaryEvent, nsp, eventName, args, ackId, options);

    /// <summary>
    /// The single-target fast path for the JSON parser: an EVENT (<paramref name="eventName"/> set) or ACK encoded
    /// completely (header and payload) into this thread's scratch buffer and handed to
    /// <see cref="EngineSession.SendTransientText"/>, which copies it or frames it straight into a WebSocket's send
    /// queue: nothing is allocated per packet. When the arguments turn out to hold binary values, nothing is sent and
    /// the packet with its attachments comes back in <paramref name="binaryPacket"/> instead.
    /// </summary>
    public static bool SendJsonText<TArgs>(
        EngineSession session, bool volatileFlag, string nsp, string? eventName, TArgs args, long ackId, JsonSerializerOptions options, out SocketPacket? binaryPacket)
        where TArgs : IPacketArguments, allows ref struct
    {
        var type = eventName is null ? SocketPacketType.Ack : SocketPacketType.Event;
        var scratch = Rent();
        try
        {
            // The header goes first so that the scratch holds the whole message; it assumes no attachments, and is
            // skipped below if some turn up.
            int headerLength = WriteTextHeader(scratch, type, nsp, ackId);
            WriteArray(scratch, eventName, args, options);
            if (scratch.Attachments.Count == 0)
            {
                binaryPacket = null;
                return session.SendTransientText(scratch.Buffer.WrittenSpan, volatileFlag);
            }

            binaryPacket = ToPacket(scratch, headerLength, eventName is null ? SocketPacketType.BinaryAck : SocketPacketType.BinaryEvent, nsp, ackId);
            return false;
        }
        finally
        {
            Return(scratch);
        }
    }

    /// <summary>
    /// An EVENT written for a broadcast: the text (JSON-parser header, then payload) goes into a pooled Engine.IO
    /// message that every target shares (<see cref="EngineMessage"/>), and the packet is this thread's reusable one.
    /// Nothing is allocated in steady state. Give both back with <see cref="ReturnBroadcast"/> once the adapter is
    /// done; nobody may keep the packet beyond that (what outlives the call takes its own message reference). With
    /// binary arguments the packet owns copies of everything, as <see cref="Event"/> makes it.
    /// </summary>
    public static BroadcastPacket RentBroadcast<TArgs>(string nsp, string eventName, TArgs args, JsonSerializerOptions options)
        where TArgs : IPacketArguments, allows ref struct
    {
        var scratch = Rent();
        try
        {
            int headerLength = WriteTextHeader(scratch, SocketPacketType.Event, nsp, -1);
            WriteArray(scratch, eventName, args, options);
            if (scratch.Attachments.Count > 0)
            {
                return new BroadcastPacket(ToPacket(scratch, headerLength, SocketPacketType.BinaryEvent, nsp, -1), null);
            }

            var text = scratch.Buffer.WrittenSpan;
            var message = EngineMessage.RentText(text.Length);
            text.CopyTo(message.TextSpace);
            message.SetTextLength(text.Length);

            // Taken from the thread: a broadcast started further down this one (a converter that emits) makes its own.
            var packet = t_broadcastPacket ?? new SocketPacket();
            t_broadcastPacket = null;
            packet.Type = SocketPacketType.Event;
            packet.Namespace = nsp;
            packet.AckId = -1;
            packet.SetEncoded(message, headerLength);
            return new BroadcastPacket(packet, message);
        }
        finally
        {
            Return(scratch);
        }
    }

    /// <summary>Gives back the message reference of a <see cref="RentBroadcast"/> and keeps its packet for the thread's next one.</summary>
    public static void ReturnBroadcast(in BroadcastPacket broadcast)
    {
        broadcast.Packet.Reset();
        if (broadcast.Message is { } message)
        {
            t_broadcastPacket = broadcast.Packet;
            message.Release();
        }
    }

    /// <summary>A packet whose payload is a JSON array (the event name first, if any); binary values become attachments.</summary>
    private static SocketPacket Array<TArgs>(
        SocketPacketType type, SocketPacketType binaryType, string nsp, string? eventName, TArgs args, long ackId, JsonSerializerOptions options)
        where TArgs : IPacketArguments, allows ref struct
    {
        var scratch = Rent();
        try
        {
            // Written after the JSON-parser header for the text case, so that one array is both the packet's payload
            // and its encoded form (see SocketPacket.EncodedText): a broadcast copies its payload once, not twice.
            int headerLength = WriteTextHeader(scratch, type, nsp, ackId);
            WriteArray(scratch, eventName, args, options);
            if (scratch.Attachments.Count > 0)
            {
                return ToPacket(scratch, headerLength, binaryType, nsp, ackId);
            }

            var packet = new SocketPacket { Type = type, Namespace = nsp, AckId = ackId };
            packet.SetEncoded(scratch.Buffer.WrittenSpan.ToArray(), headerLength);
            return packet;
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

    /// <summary>
    /// A pooled copy of the broadcast text message <paramref name="message"/> (a JSON-parser EVENT, its payload array
    /// last) with the connection-state-recovery offset appended as a last string argument, as
    /// <see cref="AppendArgument"/> does to a packet. Holds one reference, the caller's.
    /// </summary>
    public static EngineMessage AppendOffset(EngineMessage message, long offset)
    {
        var text = message.Data.Span;
        var copy = EngineMessage.RentText(text.Length + 20); // ,"<at most 16 hex digits>"
        var space = copy.TextSpace;
        text[..^1].CopyTo(space);
        var at = text.Length - 1;
        space[at++] = (byte)',';
        space[at++] = (byte)'"';
        offset.TryFormat(space[at..], out var digits, "x", System.Globalization.CultureInfo.InvariantCulture);
        at += digits;
        space[at++] = (byte)'"';
        space[at++] = (byte)']';
        copy.SetTextLength(at);
        return copy;
    }

    /// <summary>Writes the JSON-parser header of a text packet (no attachments) at the start of the scratch; returns its length.</summary>
    private static int WriteTextHeader(Scratch scratch, SocketPacketType type, string nsp, long ackId)
    {
        var wireNsp = SocketIOJsonParser.NamespaceOnWire(nsp);
        int headerLength = SocketIOJsonParser.HeaderLength(binary: false, 0, wireNsp, ackId);
        SocketIOJsonParser.WriteHeader(scratch.Buffer.GetSpan(headerLength), type, binary: false, 0, wireNsp, ackId);
        scratch.Buffer.Advance(headerLength);
        scratch.Writer.Reset(scratch.Buffer);
        return headerLength;
    }

    private static void WriteArray<TArgs>(Scratch scratch, string? eventName, TArgs args, JsonSerializerOptions options)
        where TArgs : IPacketArguments, allows ref struct
    {
        var writer = scratch.Writer;
        using (BinaryPlaceholders.BeginWrite(scratch.Attachments))
        {
            writer.WriteStartArray();
            if (eventName is not null)
            {
                writer.WriteStringValue(eventName);
            }

            args.Write(writer, options);
            writer.WriteEndArray();
            writer.Flush();
        }
    }

    /// <summary>Copies the scratch's payload (from <paramref name="start"/>) and attachments out into a packet that owns them.</summary>
    private static SocketPacket ToPacket(Scratch scratch, int start, SocketPacketType type, string nsp, long ackId) => new()
    {
        Type = type,
        Namespace = nsp,
        AckId = ackId,
        Data = scratch.Buffer.WrittenSpan[start..].ToArray(),
        Attachments = scratch.Attachments.Count == 0 ? System.Array.Empty<ReadOnlyMemory<byte>>() : scratch.Attachments.ToArray(),
    };

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
