using System.Text.Json;
using FastIo.SocketIO;

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
            case RequestType.Sockets when requestId is not null && !Requests.ContainsKey(requestId):
                var ids = Sockets(RedisWire.ReadRooms(request, "rooms"));
                Respond(uid, Json((requestId, ids), static (json, s) =>
                {
                    json.WriteString("requestId", s.requestId);
                    RedisWire.WriteJsonRooms(json, "sockets", s.ids);
                }));
                break;
            case RequestType.AllRooms when requestId is not null && !Requests.ContainsKey(requestId):
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
            case RequestType.RemoteFetch when requestId is not null && !Requests.ContainsKey(requestId):
                var targets = TargetSockets(RedisWire.ReadOptions(request, withFlags: false));
                var options = Namespace.Server.JsonOptions;
                Respond(uid, Json((requestId, targets, options), static (json, s) => RedisRemoteSocket.WriteResponse(json, s.requestId, s.targets, s.options)));
                break;
            case RequestType.ServerSideEmit when uid != Uid:
                DeliverServerSideEmit(request, "data", attachments, requestId is null ? null : args => RespondServerSideAck(requestId, args));
                break;
            case RequestType.Broadcast when requestId is not null && uid != Uid && !AckRequests.ContainsKey(requestId):
                OnBroadcastRequest(request, uid, requestId, attachments);
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
            if (uid != Uid)
            {
                ApplySelector(type, request);
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
            socket.Disconnect(IsTrue(request, "close"));
        }

        Respond(uid, Json(requestId, static (json, id) => json.WriteString("requestId", id)));
    }

    /// <summary>The ack of a server-side emit: <c>{type:6, requestId, data}</c>, always on the common response channel.</summary>
    private void RespondServerSideAck(string requestId, object?[] args)
    {
        var first = FirstAckArgument(args, out var attachments) ?? "null"u8.ToArray();
        var payload = attachments.Count > 0
            ? RedisWire.EncodeMsgPackMap([("type", (int)RequestType.ServerSideEmit), ("requestId", requestId)], "data", first, attachments)
            : Json((requestId, first), static (json, s) =>
            {
                json.WriteNumber("type", (int)RequestType.ServerSideEmit);
                json.WriteString("requestId", s.requestId);
                json.WritePropertyName("data");
                json.WriteRawValue(s.first, skipInputValidation: true);
            });
        Publish(_responseChannel, payload);
    }

    /// <summary>
    /// BROADCAST (with ack) from another server: the client count goes back at once (0 included) as JSON and every
    /// client ack as msgpack (§2.6). Flags are not applied.
    /// </summary>
    private void OnBroadcastRequest(JsonElement request, string? uid, string requestId, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (ReadEventPacket(request, attachments) is not { } packet)
        {
            return;
        }

        BroadcastForRequester(
            packet,
            RedisWire.ReadOptions(request, withFlags: false),
            count => Respond(uid, Json((requestId, count), static (json, s) =>
            {
                json.WriteNumber("type", (int)RequestType.BroadcastClientCount);
                json.WriteString("requestId", s.requestId);
                json.WriteNumber("clientCount", s.count);
            })),
            reply => Respond(uid, EncodeAck(requestId, reply)));
    }

    /// <summary><c>{type:9, requestId, packet:&lt;first ack argument&gt;}</c> in msgpack (binary stays binary).</summary>
    private static byte[] EncodeAck(string requestId, SocketArgs reply)
    {
        (string, object)[] fields = [("type", (int)RequestType.BroadcastAck), ("requestId", requestId)];
        return reply.Count > 0
            ? RedisWire.EncodeMsgPackMap(fields, "packet", RedisWire.Raw(reply.GetJson(0)), reply.Attachments)
            : RedisWire.EncodeMsgPackMap(fields, null, default, reply.Attachments); // undefined: notepack omits the key
    }
}
