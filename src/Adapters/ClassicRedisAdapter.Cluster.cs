using System.Text.Json;
using FastIo.SocketIO;
using FastIo.SocketIO.Protocol;
using StackExchange.Redis;

namespace FastIo.Adapters.Redis;

/// <summary>
/// The operations this server distributes (§2.4–2.6) and the responses it gathers. Servers are counted with
/// PUBSUB NUMSUB on the request channel, as Node does, so mixed clusters agree on how many answers to expect.
/// </summary>
internal sealed partial class ClassicRedisAdapter
{
    public override async ValueTask<int> ServerCountAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var result = await _shared.Redis.GetDatabase().ExecuteAsync("PUBSUB", "NUMSUB", _requestChannelName).WaitAsync(cancellationToken).ConfigureAwait(false);
            var pair = (RedisResult[])result!;
            return pair.Length >= 2 ? (int)pair[1] : 0;
        }
        catch (RedisException e)
        {
            throw new TimeoutException($"Redis is unavailable, so the other servers of {Namespace.Name} cannot be counted: {e.Message}", e);
        }
    }

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

    internal override async ValueTask<IReadOnlyList<RemoteSocket>> FetchSocketsAsync(BroadcastOptions options, CancellationToken cancellationToken)
    {
        var local = await base.FetchSocketsAsync(options, cancellationToken).ConfigureAwait(false);
        if (options.Local)
        {
            return local;
        }

        var request = await RequestAsync(RequestType.RemoteFetch, options, cancellationToken).ConfigureAwait(false);
        if (request is null)
        {
            return local;
        }

        lock (request)
        {
            var result = new List<RemoteSocket>(local);
            result.AddRange(request.Sockets);
            return result;
        }
    }

    internal override void BroadcastWithAck(SocketPacket packet, BroadcastOptions options, Action<int> onClientCount, Action<SocketArgs> onAck)
    {
        if (options.Local)
        {
            base.BroadcastWithAck(packet, options, onClientCount, onAck);
            return;
        }

        var requestId = NewId();
        var request = new BroadcastAckRequest(onClientCount, onAck);
        _ackRequests[requestId] = request;
        Publish(_requestChannel, RedisWire.EncodeBroadcastRequest(_uid, requestId, packet, options));
        base.BroadcastWithAck(packet, options, request.AddClientCount, onAck);
        _ = request.CountServersThenForgetAsync(
            () => ServerCountAsync(), () => _ackRequests.TryRemove(requestId, out _), options.Timeout ?? RequestsTimeout, Namespace.Server.Options.TimeProvider);
    }

    internal override void AddSockets(BroadcastOptions options, IReadOnlyCollection<string> rooms)
    {
        base.AddSockets(options, rooms);
        PublishRemote(RequestType.RemoteJoin, options, rooms, close: false);
    }

    internal override void DelSockets(BroadcastOptions options, IReadOnlyCollection<string> rooms)
    {
        base.DelSockets(options, rooms);
        PublishRemote(RequestType.RemoteLeave, options, rooms, close: false);
    }

    internal override void DisconnectSockets(BroadcastOptions options, bool close)
    {
        base.DisconnectSockets(options, close);
        PublishRemote(RequestType.RemoteDisconnect, options, null, close);
    }

    internal override void ServerSideEmit(string eventName, object?[] args) => Publish(_requestChannel, EncodeServerSideEmit(eventName, args, null));

    internal override async Task<SocketArgs[]> ServerSideEmitWithAckAsync(string eventName, object?[] args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var servers = await ServerCountAsync(cancellationToken).ConfigureAwait(false);
        if (servers <= 1)
        {
            return Array.Empty<SocketArgs>();
        }

        var requestId = NewId();
        return await PendingRequest.GatherServerSideRepliesAsync(
            _requests, requestId, servers - 1, () => Publish(_requestChannel, EncodeServerSideEmit(eventName, args, requestId)),
            timeout, Namespace.Server.Options.TimeProvider, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Publishes a request that every other server answers once and waits for the answers (requestsTimeout); null
    /// when this server is alone (nothing is published then, as in Node).
    /// </summary>
    private async Task<PendingRequest?> RequestAsync(RequestType type, BroadcastOptions? options, CancellationToken cancellationToken)
    {
        var servers = await ServerCountAsync(cancellationToken).ConfigureAwait(false);
        if (servers <= 1)
        {
            return null;
        }

        var requestId = NewId();
        var request = new PendingRequest(type, servers - 1);
        _requests[requestId] = request;
        try
        {
            Publish(_requestChannel, Json((_uid, requestId, type, options), static (json, s) =>
            {
                json.WriteString("uid", s._uid);
                json.WriteString("requestId", s.requestId);
                json.WriteNumber("type", (int)s.type);
                if (s.options is not null)
                {
                    RedisWire.WriteJsonSelector(json, s.options);
                }
            }));
            await request.Task.WaitAsync(RequestsTimeout, Namespace.Server.Options.TimeProvider, cancellationToken).ConfigureAwait(false);
            return request;
        }
        catch (TimeoutException e)
        {
            var what = type == RequestType.RemoteFetch ? "fetchSockets" : "allRooms";
            throw new TimeoutException($"timeout reached while waiting for {what} response ({Namespace.Name}: {request.Expected} other servers expected)", e);
        }
        finally
        {
            _requests.TryRemove(requestId, out _);
        }
    }

    private void HandleResponse(JsonElement response, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        var requestId = GetString(response, "requestId");
        if (requestId is null)
        {
            return;
        }

        var jsonOptions = Namespace.Server.JsonOptions;
        if (_ackRequests.TryGetValue(requestId, out var ack))
        {
            var type = response.TryGetProperty("type", out var t) && t.TryGetInt32(out var n) ? n : -1;
            if (type == (int)RequestType.BroadcastClientCount && response.TryGetProperty("clientCount", out var c) && c.TryGetInt32(out var count))
            {
                ack.AddClientCount(count);
            }
            else if (type == (int)RequestType.BroadcastAck)
            {
                ack.OnAck(new SocketArgs(WrapArray(response.TryGetProperty("packet", out var packet) ? packet : null), 0, attachments, jsonOptions));
            }

            return;
        }

        if (!_requests.TryGetValue(requestId, out var request))
        {
            return;
        }

        lock (request)
        {
            switch (request.Type)
            {
                case RequestType.RemoteFetch when response.TryGetProperty("sockets", out var sockets) && sockets.ValueKind == JsonValueKind.Array:
                    foreach (var entry in sockets.EnumerateArray())
                    {
                        if (RedisRemoteSocket.From(Namespace, entry) is { } remote)
                        {
                            request.Sockets.Add(remote);
                        }
                    }

                    break;
                case RequestType.AllRooms:
                    request.Rooms.UnionWith(RedisWire.ReadRooms(response, "rooms"));
                    break;
                case RequestType.ServerSideEmit:
                    request.Replies.Add(new SocketArgs(WrapArray(response.TryGetProperty("data", out var data) ? data : null), 0, attachments, jsonOptions));
                    break;
            }
        }

        request.Count();
    }

    private void PublishRemote(RequestType type, BroadcastOptions options, IReadOnlyCollection<string>? rooms, bool close)
    {
        if (options.Local)
        {
            return;
        }

        Publish(_requestChannel, Json((_uid, type, options, rooms, close), static (json, s) =>
        {
            json.WriteString("uid", s._uid);
            json.WriteNumber("type", (int)s.type);
            RedisWire.WriteJsonSelector(json, s.options);
            if (s.rooms is not null)
            {
                RedisWire.WriteJsonRooms(json, "rooms", s.rooms);
            }
            else
            {
                json.WriteBoolean("close", s.close);
            }
        }));
    }

    /// <summary><c>{uid, type:6, data:[event, ...args], requestId?}</c>: JSON, or msgpack when an argument is binary.</summary>
    private byte[] EncodeServerSideEmit(string eventName, object?[] args, string? requestId)
    {
        var packet = PacketWriter.Event(Namespace.Name, eventName, args, -1, Namespace.Server.JsonOptions);
        if (packet.Attachments.Count > 0)
        {
            (string, object)[] fields = requestId is null
                ? [("uid", _uid), ("type", (int)RequestType.ServerSideEmit)]
                : [("uid", _uid), ("requestId", requestId), ("type", (int)RequestType.ServerSideEmit)];
            return RedisWire.EncodeMsgPackMap(fields, "data", packet.Data.Span, packet.Attachments);
        }

        return Json((_uid, requestId, packet.Data), static (json, s) =>
        {
            json.WriteString("uid", s._uid);
            if (s.requestId is not null)
            {
                json.WriteString("requestId", s.requestId);
            }

            json.WriteNumber("type", (int)RequestType.ServerSideEmit);
            json.WritePropertyName("data");
            json.WriteRawValue(s.Data.Span, skipInputValidation: true);
        });
    }
}
