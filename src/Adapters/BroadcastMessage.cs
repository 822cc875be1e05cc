using System.Buffers;
using System.Text.Json;
using FastIo.SocketIO;
using FastIo.SocketIO.Protocol;
using MessagePack;

namespace FastIo.Adapters.Redis;

/// <summary>
/// A classic broadcast <c>[uid, {type, data, nsp}, {rooms, except, flags}]</c> read straight from msgpack (the hot
/// receive path: no intermediate tree); <c>data</c> becomes the parser-neutral JSON with placeholders.
/// </summary>
internal sealed class BroadcastMessage
{
    private BroadcastMessage(SocketPacket packet, BroadcastOptions options)
    {
        Packet = packet;
        Options = options;
    }

    public SocketPacket Packet { get; }

    public BroadcastOptions Options { get; }

    /// <summary>
    /// Decodes <paramref name="payload"/>; null with <paramref name="error"/> null when it is ours or for another
    /// namespace (silently skipped), null with an error when it is malformed.
    /// </summary>
    public static BroadcastMessage? Decode(ReadOnlyMemory<byte> payload, string ownUid, string nsp, out string? error)
    {
        error = null;
        try
        {
            var reader = new MessagePackReader(payload);
            if (reader.NextMessagePackType != MessagePackType.Array || reader.ReadArrayHeader() < 3)
            {
                error = "not a [uid, packet, opts] array";
                return null;
            }

            var uid = reader.TryReadNil() ? null : reader.ReadString();
            if (uid == ownUid)
            {
                return null;
            }

            var packet = ReadPacket(ref reader, ref error);
            if (packet is null)
            {
                return null;
            }

            if (packet.Namespace != nsp)
            {
                return null;
            }

            var options = ReadOptions(ref reader);
            return new BroadcastMessage(packet, options);
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or InvalidOperationException or OverflowException)
        {
            error = e.Message;
            return null;
        }
    }

    private static SocketPacket? ReadPacket(ref MessagePackReader reader, ref string? error)
    {
        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            error = "packet is not a map";
            return null;
        }

        var count = reader.ReadMapHeader();
        var nsp = "/";
        ReadOnlyMemory<byte> data = default;
        List<ReadOnlyMemory<byte>>? attachments = null;
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadString();
            switch (key)
            {
                case "data":
                {
                    var buffer = new ArrayBufferWriter<byte>(128);
                    using (var json = new Utf8JsonWriter(buffer))
                    {
                        error = MsgPackToJson.Write(ref reader, json, ref attachments, 0);
                    }

                    if (error is not null)
                    {
                        return null;
                    }

                    data = buffer.WrittenMemory;
                    break;
                }

                case "nsp" when reader.NextMessagePackType == MessagePackType.String:
                    nsp = reader.ReadString() ?? "/";
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        if (data.IsEmpty || data.Span[0] != (byte)'[')
        {
            error = "packet data is not an array";
            return null;
        }

        return new SocketPacket
        {
            Type = attachments is { Count: > 0 } ? SocketPacketType.BinaryEvent : SocketPacketType.Event,
            Namespace = nsp,
            Data = data,
            Attachments = (IReadOnlyList<ReadOnlyMemory<byte>>?)attachments ?? Array.Empty<ReadOnlyMemory<byte>>(),
        };
    }

    private static BroadcastOptions ReadOptions(ref MessagePackReader reader)
    {
        IReadOnlySet<string> rooms = BroadcastOptions.NoRooms;
        IReadOnlySet<string> except = BroadcastOptions.NoRooms;
        var volatileFlag = false;
        var compress = true;
        var count = reader.NextMessagePackType == MessagePackType.Map ? reader.ReadMapHeader() : 0;
        for (var i = 0; i < count; i++)
        {
            switch (reader.ReadString())
            {
                case "rooms":
                    rooms = ReadRooms(ref reader);
                    break;
                case "except":
                    except = ReadRooms(ref reader);
                    break;
                case "flags" when reader.NextMessagePackType == MessagePackType.Map:
                    var flags = reader.ReadMapHeader();
                    for (var j = 0; j < flags; j++)
                    {
                        var name = reader.ReadString();
                        if (name == "volatile" && reader.NextMessagePackType == MessagePackType.Boolean)
                        {
                            volatileFlag = reader.ReadBoolean();
                        }
                        else if (name == "compress" && reader.NextMessagePackType == MessagePackType.Boolean)
                        {
                            compress = reader.ReadBoolean();
                        }
                        else
                        {
                            reader.Skip(); // timeout, expectSingleResponse, future flags: tolerated, not applied
                        }
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return new BroadcastOptions { Rooms = rooms, Except = except, Volatile = volatileFlag, Compress = compress };
    }

    private static IReadOnlySet<string> ReadRooms(ref MessagePackReader reader)
    {
        if (reader.NextMessagePackType != MessagePackType.Array)
        {
            reader.Skip();
            return BroadcastOptions.NoRooms;
        }

        var count = reader.ReadArrayHeader();
        if (count == 0)
        {
            return BroadcastOptions.NoRooms;
        }

        var result = new HashSet<string>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.String:
                    result.Add(reader.ReadString()!);
                    break;
                case MessagePackType.Integer:
                    // A JS number room (io.to(123)); FastIo rooms are strings, so it is held as its text.
                    result.Add(reader.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture));
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return result;
    }
}
