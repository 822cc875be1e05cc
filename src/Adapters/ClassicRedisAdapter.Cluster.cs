using System.Text.Json;
using FastIo.SocketIO;
using FastIo.SocketIO.Protocol;

namespace FastIo.Adapters.Redis;

/// <summary>
/// The classic encodings of the operations this server distributes (§2.4–2.6), and the responses it gathers: JSON
/// requests <c>{uid, requestId?, type, ...}</c>, msgpack where a value is binary, answers routed by request id.
/// </summary>
internal sealed partial class ClassicRedisAdapter
{
    public override async Task<IReadOnlySet<string>> AllRoomsAsync(CancellationToken cancellationToken = default)
    {
        var local = Rooms();
        var request = await RequestAsync(RequestType.AllRooms, null, cancellationToken).ConfigureAwait(false);
        if (request is null)
        {
            return local;
        }

        lock (request)
        {
            request.Rooms.UnionWith(local);
            return request.Rooms;
        }
    }

    /// <summary>Waits requestsTimeout whatever the operator's timeout, as Node's classic adapter does.</summary>
    protected override Task<PendingRequest?> FetchRemoteSocketsAsync(BroadcastOptions options, CancellationToken cancellationToken) =>
        RequestAsync(RequestType.RemoteFetch, options, cancellationToken);

    /// <summary>The BROADCAST (with ack) request, type 7, always msgpack as Node's parser sends it.</summary>
    protected override byte[] EncodeBroadcastRequest(string requestId, SocketPacket packet, BroadcastOptions options) =>
        RedisWire.EncodeBroadcastRequest(Uid, requestId, packet, options);

    /// <summary><c>{uid, type, opts:{rooms, except}, rooms | close}</c>.</summary>
    protected override byte[] EncodeSelector(RequestType type, BroadcastOptions options, IReadOnlyCollection<string>? rooms, bool close) =>
        Json((Uid, type, options, rooms, close), static (json, s) =>
        {
            json.WriteString("uid", s.Uid);
            json.WriteNumber("type", (int)s.type);
            RedisWire.WriteJsonSelector(json, s.options);
            RedisWire.WriteJsonRoomsOrClose(json, s.rooms, s.close);
        });

    /// <summary><c>{uid, type:6, data:[event, ...args], requestId?}</c>: JSON, or msgpack when an argument is binary.</summary>
    protected override byte[] EncodeServerSideEmit(string eventName, object?[] args, string? requestId)
    {
        var packet = PacketWriter.Event(Namespace.Name, eventName, args, -1, Namespace.Server.JsonOptions);
        if (packet.Attachments.Count > 0)
        {
            (string, object)[] fields = requestId is null
                ? [("uid", Uid), ("type", (int)RequestType.ServerSideEmit)]
                : [("uid", Uid), ("requestId", requestId), ("type", (int)RequestType.ServerSideEmit)];
            return RedisWire.EncodeMsgPackMap(fields, "data", packet.Data.Span, packet.Attachments);
        }

        return Json((Uid, requestId, packet.Data), static (json, s) =>
        {
            json.WriteString("uid", s.Uid);
            if (s.requestId is not null)
            {
                json.WriteString("requestId", s.requestId);
            }

            json.WriteNumber("type", (int)RequestType.ServerSideEmit);
            json.WritePropertyName("data");
            json.WriteRawValue(s.Data.Span, skipInputValidation: true);
        });
    }

    /// <summary>fetchSockets (with its selector) or allRooms: <c>{uid, requestId, type, opts?}</c>.</summary>
    private Task<PendingRequest?> RequestAsync(RequestType type, BroadcastOptions? options, CancellationToken cancellationToken) =>
        RequestAsync(
            type,
            RequestsTimeout,
            requestId => Json((Uid, requestId, type, options), static (json, s) =>
            {
                json.WriteString("uid", s.Uid);
                json.WriteString("requestId", s.requestId);
                json.WriteNumber("type", (int)s.type);
                if (s.options is not null)
                {
                    RedisWire.WriteJsonSelector(json, s.options);
                }
            }),
            (request, e) =>
            {
                var what = type == RequestType.RemoteFetch ? "fetchSockets" : "allRooms";
                return new TimeoutException($"timeout reached while waiting for {what} response ({Namespace.Name}: {request.Expected} other servers expected)", e);
            },
            cancellationToken);

    /// <summary>
    /// Responses carry no type of their own for fetchSockets and allRooms, so a pending request's own type says how to
    /// read them; every response is counted, as Node counts them.
    /// </summary>
    private void HandleResponse(JsonElement response, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        var requestId = GetString(response, "requestId");
        if (requestId is null)
        {
            return;
        }

        var type = response.TryGetProperty("type", out var t) && t.TryGetInt32(out var n) ? n : -1;
        if (TryAnswerBroadcast(requestId, isClientCount: type == (int)RequestType.BroadcastClientCount, isAck: type == (int)RequestType.BroadcastAck, response, attachments) ||
            !Requests.TryGetValue(requestId, out var request))
        {
            return;
        }

        lock (request)
        {
            switch (request.Type)
            {
                case RequestType.RemoteFetch when response.TryGetProperty("sockets", out var sockets) && sockets.ValueKind == JsonValueKind.Array:
                    AddRemoteSockets(request, sockets);
                    break;
                case RequestType.AllRooms:
                    request.Rooms.UnionWith(RedisWire.ReadRooms(response, "rooms"));
                    break;
                case RequestType.ServerSideEmit:
                    request.Replies.Add(Reply(response, "data", attachments));
                    break;
            }
        }

        request.Count();
    }
}
