using System.Text.Json;
using FastIo.SocketIO;
using FastIo.SocketIO.Protocol;

namespace FastIo.Adapters.Redis;

/// <summary>
/// Applying what other servers sent, in the parts where both protocols carry the same JSON. Everything here acts on
/// this server's sockets only: the operations are not published again, which would echo them around the cluster.
/// </summary>
internal abstract partial class RedisAdapterBase
{
    /// <summary>Delivers another server's broadcast to our matching clients.</summary>
    protected void BroadcastLocally(SocketPacket packet, BroadcastOptions options) => base.Broadcast(packet, options);

    /// <summary>Another server's join, leave or disconnect (named by the classic request types): <c>opts</c>, then <c>rooms</c> or <c>close</c>.</summary>
    protected void ApplySelector(RequestType type, JsonElement message)
    {
        var options = RedisWire.ReadOptions(message, withFlags: false);
        switch (type)
        {
            case RequestType.RemoteJoin:
                base.AddSockets(options, RedisWire.ReadRooms(message, "rooms"));
                break;
            case RequestType.RemoteLeave:
                base.DelSockets(options, RedisWire.ReadRooms(message, "rooms"));
                break;
            default:
                base.DisconnectSockets(options, IsTrue(message, "close"));
                break;
        }
    }

    /// <summary>The Socket.IO EVENT in a broadcast's <c>packet.data</c>, or null when there is none.</summary>
    protected SocketPacket? ReadEventPacket(JsonElement message, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (!message.TryGetProperty("packet", out var p) || p.ValueKind != JsonValueKind.Object ||
            !p.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        return new SocketPacket
        {
            Type = attachments.Count > 0 ? SocketPacketType.BinaryEvent : SocketPacketType.Event,
            Namespace = Namespace.Name,
            Data = RedisWire.Raw(data),
            Attachments = attachments,
        };
    }

    /// <summary>
    /// A broadcast with acks that another server requested: delivered to our matching clients under a local ack id;
    /// this server's client count (0 included) and every client's ack go back through the two responders.
    /// </summary>
    protected void BroadcastForRequester(SocketPacket packet, BroadcastOptions options, Action<int> respondClientCount, Action<SocketArgs> respondAck)
    {
        packet.AckId = Namespace.NextAckId();
        base.BroadcastWithAck(
            packet,
            options,
            count =>
            {
                // Only each server's one count goes out: a requester counts servers by their reports, so a later
                // departure (−1) must not look like another server (Node servers send none either).
                if (count >= 0)
                {
                    respondClientCount(count);
                }
            },
            respondAck);
    }

    /// <summary>
    /// A server-side emit whose <c>[event, ...args]</c> stands under <paramref name="name"/>, to this namespace's
    /// handlers; <paramref name="ack"/> answers the emitter when it awaits replies.
    /// </summary>
    protected void DeliverServerSideEmit(JsonElement message, string name, IReadOnlyList<ReadOnlyMemory<byte>> attachments, Action<object?[]>? ack)
    {
        if (!message.TryGetProperty(name, out var data) || data.ValueKind != JsonValueKind.Array || data.GetArrayLength() == 0 ||
            data[0].ValueKind != JsonValueKind.String)
        {
            return;
        }

        Namespace.DeliverServerSideEmit(new ServerSideMessage(data[0].GetString()!, RedisWire.Raw(data), attachments, Namespace.Server.JsonOptions, ack));
    }

    /// <summary>The first argument of a server-side emit's ack as raw JSON (placeholders for binary), or null when there is none.</summary>
    protected byte[]? FirstAckArgument(object?[] args, out IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        var packet = PacketWriter.Ack(Namespace.Name, -1, args, Namespace.Server.JsonOptions);
        attachments = packet.Attachments;
        using var document = JsonDocument.Parse(packet.Data);
        return document.RootElement.GetArrayLength() > 0 ? RedisWire.Raw(document.RootElement[0]) : null;
    }

    /// <summary>
    /// A response to one of our broadcasts with acks: a server's client count, or a client's ack whose first argument
    /// is <c>packet</c>. False when <paramref name="requestId"/> names no such broadcast.
    /// </summary>
    protected bool TryAnswerBroadcast(string requestId, bool isClientCount, bool isAck, JsonElement response, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (!AckRequests.TryGetValue(requestId, out var ack))
        {
            return false;
        }

        if (isClientCount && response.TryGetProperty("clientCount", out var c) && c.TryGetInt32(out var count))
        {
            ack.AddClientCount(count);
        }
        else if (isAck)
        {
            ack.OnAck(Reply(response, "packet", attachments));
        }

        return true;
    }

    /// <summary>Adds the sockets of a fetchSockets response (the caller holds the request's lock).</summary>
    protected void AddRemoteSockets(PendingRequest request, JsonElement sockets)
    {
        foreach (var entry in sockets.EnumerateArray())
        {
            if (RedisRemoteSocket.From(Namespace, entry) is { } remote)
            {
                request.Sockets.Add(remote);
            }
        }
    }

    /// <summary>A reply's arguments: the one value under <paramref name="name"/>, or none when it is absent (undefined).</summary>
    protected SocketArgs Reply(JsonElement response, string name, IReadOnlyList<ReadOnlyMemory<byte>> attachments) =>
        new(WrapArray(response, name), 0, attachments, Namespace.Server.JsonOptions);

    protected static string? GetString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    protected static bool IsTrue(JsonElement element, string name) => element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.True;

    /// <summary>A JSON array holding the raw value under <paramref name="name"/>, or an empty one.</summary>
    private static byte[] WrapArray(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var value))
        {
            return "[]"u8.ToArray();
        }

        var raw = RedisWire.Raw(value);
        var result = new byte[raw.Length + 2];
        result[0] = (byte)'[';
        raw.CopyTo(result, 1);
        result[^1] = (byte)']';
        return result;
    }
}
