using System.Text.Json;
using FastIo.SocketIO;
using FastIo.SocketIO.Protocol;

namespace FastIo.Adapters.Redis;

/// <summary>
/// Requests from other servers and emitters (types 0–7, §2.4). Requests 0, 1, 5, 6-with-requestId and 7 are always
/// answered (a silent subscriber makes every Node requester time out); 2–4 are applied and never answered.
/// </summary>
internal sealed partial class ClassicRedisAdapter
{
    private void HandleRequest(JsonElement request, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (!request.TryGetProperty("type", out var t) || !t.TryGetInt32(out var type))
        {
            return;
        }

        var uid = GetString(request, "uid");
        var requestId = GetString(request, "requestId");
        switch ((RequestType)type)
        {
            case RequestType.Sockets when requestId is not null && !_requests.ContainsKey(requestId):
                var ids = Sockets(RedisWire.ReadRooms(request, "rooms"));
                Respond(uid, Json((requestId, ids), static (json, s) =>
                {
                    json.WriteString("requestId", s.requestId);
                    RedisWire.WriteJsonRooms(json, "sockets", s.ids);
                }));
                break;
            case RequestType.AllRooms when requestId is not null && !_requests.ContainsKey(requestId):
                var rooms = Rooms();
                Respond(uid, Json((requestId, rooms), static (json, s) =>
                {
                    json.WriteString("requestId", s.requestId);
                    RedisWire.WriteJsonRooms(json, "rooms", s.rooms);
                }));
                break;
            case RequestType.RemoteJoin:
            case RequestType.RemoteLeave:
            case RequestType.RemoteDisconnect:
                ApplyRemote((RequestType)type, request, uid, requestId);
                break;
            case RequestType.RemoteFetch when requestId is not null && !_requests.ContainsKey(requestId):
                var targets = TargetSockets(RedisWire.ReadOptions(request, withFlags: false));
                var options = Namespace.Server.JsonOptions;
                Respond(uid, Json((requestId, targets, options), static (json, s) =>
                {
                    json.WriteString("requestId", s.requestId);
                    json.WriteStartArray("sockets");
                    foreach (var socket in s.targets)
                    {
                        RedisRemoteSocket.Write(json, socket, s.options);
                    }

                    json.WriteEndArray();
                }));
                break;
            case RequestType.ServerSideEmit when uid != _uid:
                DeliverServerSideEmit(request, requestId, attachments);
                break;
            case RequestType.Broadcast when requestId is not null && uid != _uid && !_ackRequests.ContainsKey(requestId):
                BroadcastForRequester(request, uid, requestId, attachments);
                break;
        }
    }

    /// <summary>
    /// REMOTE_JOIN/LEAVE/DISCONNECT. Our own requests were applied when sent, so they are skipped; Node's carry its
    /// uid and the emitter's none, and both apply here. The 7.x form (<c>sid</c>, <c>room</c>) is answered.
    /// </summary>
    private void ApplyRemote(RequestType type, JsonElement request, string? uid, string? requestId)
    {
        if (request.TryGetProperty("opts", out _))
        {
            if (uid == _uid)
            {
                return;
            }

            var options = RedisWire.ReadOptions(request, withFlags: false);
            switch (type)
            {
                case RequestType.RemoteJoin:
                    base.AddSockets(options, RedisWire.ReadRooms(request, "rooms"));
                    break;
                case RequestType.RemoteLeave:
                    base.DelSockets(options, RedisWire.ReadRooms(request, "rooms"));
                    break;
                default:
                    base.DisconnectSockets(options, request.TryGetProperty("close", out var c) && c.ValueKind == JsonValueKind.True);
                    break;
            }

            return;
        }

        var sid = GetString(request, "sid");
        if (sid is null || requestId is null || !Namespace.TryGetSocket(sid, out var socket))
        {
            return;
        }

        var room = GetString(request, "room");
        if (type == RequestType.RemoteJoin && room is not null)
        {
            socket.Join(room);
        }
        else if (type == RequestType.RemoteLeave && room is not null)
        {
            socket.Leave(room);
        }
        else if (type == RequestType.RemoteDisconnect)
        {
            socket.Disconnect(request.TryGetProperty("close", out var c) && c.ValueKind == JsonValueKind.True);
        }

        Respond(uid, Json(requestId, static (json, id) => json.WriteString("requestId", id)));
    }

    private void DeliverServerSideEmit(JsonElement request, string? requestId, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (!request.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array || data.GetArrayLength() == 0 ||
            data[0].ValueKind != JsonValueKind.String)
        {
            return;
        }

        Action<object?[]>? ack = requestId is null ? null : args => RespondServerSideAck(requestId, args);
        Namespace.DeliverServerSideEmit(new ServerSideMessage(data[0].GetString()!, RedisWire.Raw(data), attachments, Namespace.Server.JsonOptions, ack));
    }

    /// <summary>The ack of a server-side emit: <c>{type:6, requestId, data}</c>, always on the common response channel.</summary>
    private void RespondServerSideAck(string requestId, object?[] args)
    {
        var packet = PacketWriter.Ack(Namespace.Name, -1, args, Namespace.Server.JsonOptions);
        using var document = JsonDocument.Parse(packet.Data);
        var first = document.RootElement.GetArrayLength() > 0 ? RedisWire.Raw(document.RootElement[0]) : "null"u8.ToArray();
        byte[] payload;
        if (packet.Attachments.Count > 0)
        {
            payload = RedisWire.EncodeMsgPackMap([("type", (int)RequestType.ServerSideEmit), ("requestId", requestId)], "data", first, packet.Attachments);
        }
        else
        {
            payload = Json((requestId, first), static (json, s) =>
            {
                json.WriteNumber("type", (int)RequestType.ServerSideEmit);
                json.WriteString("requestId", s.requestId);
                json.WritePropertyName("data");
                json.WriteRawValue(s.first, skipInputValidation: true);
            });
        }

        Publish(_responseChannel, payload);
    }

    /// <summary>
    /// BROADCAST (with ack) from another server: deliver to our matching clients under a local ack id, report the
    /// client count at once (0 included) as JSON and every client ack as msgpack (§2.6). Flags are not applied.
    /// </summary>
    private void BroadcastForRequester(JsonElement request, string? uid, string requestId, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (!request.TryGetProperty("packet", out var p) || p.ValueKind != JsonValueKind.Object ||
            !p.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var packet = new SocketPacket
        {
            Type = attachments.Count > 0 ? SocketPacketType.BinaryEvent : SocketPacketType.Event,
            Namespace = Namespace.Name,
            AckId = Namespace.NextAckId(),
            Data = RedisWire.Raw(data),
            Attachments = attachments,
        };
        var options = RedisWire.ReadOptions(request, withFlags: false);
        base.BroadcastWithAck(
            packet,
            options,
            // Only each server's one count goes out: a requester counts servers by their reports, so a later
            // departure (−1) must not look like another server (Node servers send none either).
            count => RespondClientCount(uid, requestId, count),
            reply => Respond(uid, EncodeAck(requestId, reply)));
    }

    private void RespondClientCount(string? uid, string requestId, int count)
    {
        if (count < 0)
        {
            return;
        }

        Respond(uid, Json((requestId, count), static (json, s) =>
        {
            json.WriteNumber("type", (int)RequestType.BroadcastClientCount);
            json.WriteString("requestId", s.requestId);
            json.WriteNumber("clientCount", s.count);
        }));
    }

    /// <summary><c>{type:9, requestId, packet:&lt;first ack argument&gt;}</c> in msgpack (binary stays binary).</summary>
    private static byte[] EncodeAck(string requestId, SocketArgs reply)
    {
        (string, object)[] fields = [("type", (int)RequestType.BroadcastAck), ("requestId", requestId)];
        return reply.Count > 0
            ? RedisWire.EncodeMsgPackMap(fields, "packet", RedisWire.Raw(reply.GetJson(0)), reply.Attachments)
            : RedisWire.EncodeMsgPackMap(fields, null, default, reply.Attachments); // undefined: notepack omits the key
    }

    private void Respond(string? requesterUid, byte[] payload) => PublishResponse(requesterUid, payload);

    private static string? GetString(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    /// <summary>A JSON array holding one raw value (a reply's first argument), or an empty one.</summary>
    private static byte[] WrapArray(JsonElement? value)
    {
        if (value is not { } v || v.ValueKind == JsonValueKind.Undefined)
        {
            return "[]"u8.ToArray();
        }

        var raw = RedisWire.Raw(v);
        var result = new byte[raw.Length + 2];
        result[0] = (byte)'[';
        raw.CopyTo(result, 1);
        result[^1] = (byte)']';
        return result;
    }
}
