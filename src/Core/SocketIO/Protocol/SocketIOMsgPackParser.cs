using System.Buffers;
using MessagePack;

namespace FastIo.SocketIO.Protocol;

/// <summary>
/// The socket.io-msgpack-parser 3.x wire format: each packet is one binary message holding a msgpack map
/// <c>{type, data?, nsp, id?}</c> encoded like notepack.io does, binary values inline as <c>bin</c>. It knows only
/// types 0–4: binary events and acks travel as plain EVENT/ACK.
/// </summary>
internal sealed class SocketIOMsgPackParser : ISocketPacketParser
{
    /// <summary>Scratch buffers bigger than this are dropped after use rather than kept by the thread.</summary>
    private const int MaxRetainedScratch = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    /// <summary>
    /// Creates the parser; decoders refuse packets holding more than <paramref name="maxAttachments"/> binary values.
    /// socket.io-msgpack-parser has no such limit, but the server's one option should bound both formats alike.
    /// </summary>
    public SocketIOMsgPackParser(int maxAttachments = SocketIOJsonParser.DefaultMaxAttachments)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxAttachments);
        MaxAttachments = maxAttachments;
    }

    /// <summary>The most binary values a decoded packet may hold.</summary>
    public int MaxAttachments { get; }

    /// <inheritdoc/>
    public ISocketPacketDecoder CreateDecoder() => new SocketIOMsgPackDecoder(MaxAttachments);

    /// <inheritdoc/>
    public EncodedPacket Encode(SocketPacket packet)
    {
        ArgumentNullException.ThrowIfNull(packet);
        var type = packet.Type switch
        {
            SocketPacketType.BinaryEvent => SocketPacketType.Event,
            SocketPacketType.BinaryAck => SocketPacketType.Ack,
            SocketPacketType.Connect or SocketPacketType.Disconnect or SocketPacketType.Event or SocketPacketType.Ack
                or SocketPacketType.ConnectError => packet.Type,
            _ => throw new ArgumentOutOfRangeException(nameof(packet), packet.Type, "Unknown packet type."),
        };

        var scratch = t_scratch ?? new ArrayBufferWriter<byte>(256);
        t_scratch = null; // Not reentrant-safe otherwise; put back below.
        try
        {
            var writer = new MessagePackWriter(scratch);
            bool hasData = !packet.Data.IsEmpty;
            bool hasId = packet.AckId >= 0;

            // Key order: socket.io's broadcasts build {type, data, nsp}; the id (absent there) goes last. Decoders
            // do not depend on the order.
            writer.WriteMapHeader(2 + (hasData ? 1 : 0) + (hasId ? 1 : 0));
            writer.WriteString("type"u8);
            writer.Write((int)type);
            if (hasData)
            {
                writer.WriteString("data"u8);
                JsonToMsgPack.Write(ref writer, packet.Data.Span, packet.Attachments);
            }

            writer.WriteString("nsp"u8);
            writer.Write(packet.Namespace);
            if (hasId)
            {
                writer.WriteString("id"u8);
                writer.Write(packet.AckId);
            }

            writer.Flush();
            return new EncodedPacket(scratch.WrittenSpan.ToArray(), firstIsBinary: true);
        }
        finally
        {
            if (scratch.Capacity <= MaxRetainedScratch)
            {
                scratch.ResetWrittenCount();
                t_scratch = scratch;
            }
        }
    }
}
