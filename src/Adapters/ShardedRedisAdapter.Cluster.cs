using System.Security.Cryptography;
using System.Text.Json;
using FastIo.SocketIO;
using FastIo.SocketIO.Protocol;
using StackExchange.Redis;

namespace FastIo.Adapters.Redis;

/// <summary>
/// ClusterAdapter semantics (socket.io-adapter 2.5, §4.3): join/leave/disconnect are applied by the sender and
/// published; fetch and server-side acks expect SHARDNUMSUB − 1 responses, counted; responses go to the
/// requester's own channel. No heartbeats (8.3's sharded adapter has none).
/// </summary>
internal sealed partial class ShardedRedisAdapter
{
    public override async ValueTask<int> ServerCountAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var result = await _shared.Redis.GetDatabase().ExecuteAsync("PUBSUB", "SHARDNUMSUB", _prefix).WaitAsync(cancellationToken).ConfigureAwait(false);
            var pair = (RedisResult[])result!;
            return pair.Length >= 2 ? (int)pair[1] : 0;
        }
        catch (RedisException e)
        {
            throw new TimeoutException($"Redis is unavailable, so the other servers of {Namespace.Name} cannot be counted: {e.Message}", e);
        }
    }

    internal override void BroadcastWithAck(SocketPacket packet, BroadcastOptions options, Action<int> onClientCount, Action<SocketArgs> onAck)
    {
        if (options.Local)
        {
            base.BroadcastWithAck(packet, options, onClientCount, onAck);
            return;
        }

        var requestId = NewRequestId();
        var request = new BroadcastAckRequest(onClientCount, onAck);
        _ackRequests[requestId] = request;
        Publish(_mainChannel, EncodeBroadcast(packet, options, requestId)); // acked: always the main channel
        base.BroadcastWithAck(packet, options, request.AddClientCount, onAck);
        _ = request.CountServersThenForgetAsync(
            () => ServerCountAsync(), () => _ackRequests.TryRemove(requestId, out _), options.Timeout ?? RequestsTimeout, Namespace.Server.Options.TimeProvider);
    }

    internal override void AddSockets(BroadcastOptions options, IReadOnlyCollection<string> rooms)
    {
        base.AddSockets(options, rooms);
        PublishSelector(ClusterMessageType.SocketsJoin, options, rooms, close: false);
    }

    internal override void DelSockets(BroadcastOptions options, IReadOnlyCollection<string> rooms)
    {
        base.DelSockets(options, rooms);
        PublishSelector(ClusterMessageType.SocketsLeave, options, rooms, close: false);
    }

    internal override void DisconnectSockets(BroadcastOptions options, bool close)
    {
        base.DisconnectSockets(options, close);
        PublishSelector(ClusterMessageType.DisconnectSockets, options, null, close);
    }

    internal override async ValueTask<IReadOnlyList<RemoteSocket>> FetchSocketsAsync(BroadcastOptions options, CancellationToken cancellationToken)
    {
        var local = await base.FetchSocketsAsync(options, cancellationToken).ConfigureAwait(false);
        if (options.Local)
        {
            return local;
        }

        var servers = await ServerCountAsync(cancellationToken).ConfigureAwait(false);
        if (servers <= 1)
        {
            return local;
        }

        var requestId = NewRequestId();
        var request = new PendingRequest(RequestType.RemoteFetch, servers - 1);
        _requests[requestId] = request;
        try
        {
            Publish(_mainChannel, Envelope(ClusterMessageType.FetchSockets, (options, requestId), static (json, s) =>
            {
                WriteOptions(json, s.options, withFlags: false);
                json.WriteString("requestId", s.requestId);
            }, Array.Empty<ReadOnlyMemory<byte>>()));
            await request.Task.WaitAsync(options.Timeout ?? RequestsTimeout, Namespace.Server.Options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"timeout reached: only {request.Sockets.Count} sockets from fewer than {request.Expected} servers of {Namespace.Name} responded", e);
        }
        finally
        {
            _requests.TryRemove(requestId, out _);
        }

        lock (request)
        {
            var result = new List<RemoteSocket>(local);
            result.AddRange(request.Sockets);
            return result;
        }
    }

    internal override void ServerSideEmit(string eventName, object?[] args) => Publish(_mainChannel, EncodeServerSideEmit(eventName, args, null));

    internal override async Task<SocketArgs[]> ServerSideEmitWithAckAsync(string eventName, object?[] args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var servers = await ServerCountAsync(cancellationToken).ConfigureAwait(false);
        if (servers <= 1)
        {
            return Array.Empty<SocketArgs>();
        }

        var requestId = NewRequestId();
        return await PendingRequest.GatherServerSideRepliesAsync(
            _requests, requestId, servers - 1, () => Publish(_mainChannel, EncodeServerSideEmit(eventName, args, requestId)),
            timeout, Namespace.Server.Options.TimeProvider, cancellationToken).ConfigureAwait(false);
    }

    private void HandleMessage(ClusterMessageType type, string? uid, JsonElement data, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (data.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var requestId = data.TryGetProperty("requestId", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
        switch (type)
        {
            case ClusterMessageType.Broadcast:
                OnBroadcast(uid, data, requestId, attachments);
                break;
            case ClusterMessageType.SocketsJoin:
                base.AddSockets(RedisWire.ReadOptions(data, withFlags: false), RedisWire.ReadRooms(data, "rooms"));
                break;
            case ClusterMessageType.SocketsLeave:
                base.DelSockets(RedisWire.ReadOptions(data, withFlags: false), RedisWire.ReadRooms(data, "rooms"));
                break;
            case ClusterMessageType.DisconnectSockets:
                base.DisconnectSockets(RedisWire.ReadOptions(data, withFlags: false), data.TryGetProperty("close", out var c) && c.ValueKind == JsonValueKind.True);
                break;
            case ClusterMessageType.FetchSockets when requestId is not null && uid is not null:
                var targets = TargetSockets(RedisWire.ReadOptions(data, withFlags: false));
                var jsonOptions = Namespace.Server.JsonOptions;
                Respond(uid, Envelope(ClusterMessageType.FetchSocketsResponse, (requestId, targets, jsonOptions), static (json, s) =>
                {
                    json.WriteString("requestId", s.requestId);
                    json.WriteStartArray("sockets");
                    foreach (var socket in s.targets)
                    {
                        RedisRemoteSocket.Write(json, socket, s.jsonOptions);
                    }

                    json.WriteEndArray();
                }, Array.Empty<ReadOnlyMemory<byte>>()));
                break;
            case ClusterMessageType.ServerSideEmit:
                OnServerSideEmit(uid, data, requestId, attachments);
                break;
        }
    }

    private void OnBroadcast(string? uid, JsonElement data, string? requestId, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (!data.TryGetProperty("packet", out var p) || p.ValueKind != JsonValueKind.Object ||
            !p.TryGetProperty("data", out var args) || args.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        var packet = new SocketPacket
        {
            Type = attachments.Count > 0 ? SocketPacketType.BinaryEvent : SocketPacketType.Event,
            Namespace = Namespace.Name,
            Data = RedisWire.Raw(args),
            Attachments = attachments,
        };
        if (requestId is null || uid is null)
        {
            base.Broadcast(packet, RedisWire.ReadOptions(data, withFlags: true));
            return;
        }

        packet.AckId = Namespace.NextAckId();
        base.BroadcastWithAck(
            packet,
            RedisWire.ReadOptions(data, withFlags: false),
            // Only each server's one count goes out: a requester counts servers by their reports, so a later
            // departure (−1) must not look like another server (Node servers send none either).
            count => RespondClientCount(uid, requestId, count),
            reply => Respond(uid, EncodeReply(ClusterMessageType.BroadcastAck, requestId, reply.Count > 0 ? RedisWire.Raw(reply.GetJson(0)) : null, reply.Attachments)));
    }

    private void RespondClientCount(string uid, string requestId, int count)
    {
        if (count < 0)
        {
            return;
        }

        Respond(uid, Envelope(ClusterMessageType.BroadcastClientCount, (requestId, count), static (json, s) =>
        {
            json.WriteString("requestId", s.requestId);
            json.WriteNumber("clientCount", s.count);
        }, Array.Empty<ReadOnlyMemory<byte>>()));
    }

    private void OnServerSideEmit(string? uid, JsonElement data, string? requestId, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (!data.TryGetProperty("packet", out var args) || args.ValueKind != JsonValueKind.Array || args.GetArrayLength() == 0 ||
            args[0].ValueKind != JsonValueKind.String)
        {
            return;
        }

        Action<object?[]>? ack = requestId is null || uid is null ? null : reply =>
        {
            var packet = PacketWriter.Ack(Namespace.Name, -1, reply, Namespace.Server.JsonOptions);
            using var document = JsonDocument.Parse(packet.Data);
            var first = document.RootElement.GetArrayLength() > 0 ? RedisWire.Raw(document.RootElement[0]) : null;
            Respond(uid, EncodeReply(ClusterMessageType.ServerSideEmitResponse, requestId, first, packet.Attachments));
        };
        Namespace.DeliverServerSideEmit(new ServerSideMessage(args[0].GetString()!, RedisWire.Raw(args), attachments, Namespace.Server.JsonOptions, ack));
    }

    private void HandleResponse(ClusterMessageType type, JsonElement data, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("requestId", out var r) || r.ValueKind != JsonValueKind.String)
        {
            return;
        }

        var requestId = r.GetString()!;
        var jsonOptions = Namespace.Server.JsonOptions;
        if (_ackRequests.TryGetValue(requestId, out var ack))
        {
            if (type == ClusterMessageType.BroadcastClientCount && data.TryGetProperty("clientCount", out var c) && c.TryGetInt32(out var count))
            {
                ack.AddClientCount(count);
            }
            else if (type == ClusterMessageType.BroadcastAck)
            {
                ack.OnAck(new SocketArgs(Wrap(data, "packet"), 0, attachments, jsonOptions));
            }

            return;
        }

        if (!_requests.TryGetValue(requestId, out var request))
        {
            return;
        }

        lock (request)
        {
            if (type == ClusterMessageType.FetchSocketsResponse && data.TryGetProperty("sockets", out var sockets) && sockets.ValueKind == JsonValueKind.Array)
            {
                foreach (var entry in sockets.EnumerateArray())
                {
                    if (RedisRemoteSocket.From(Namespace, entry) is { } remote)
                    {
                        request.Sockets.Add(remote);
                    }
                }
            }
            else if (type == ClusterMessageType.ServerSideEmitResponse)
            {
                request.Replies.Add(new SocketArgs(Wrap(data, "packet"), 0, attachments, jsonOptions));
            }
            else
            {
                return;
            }
        }

        request.Count();
    }

    private void PublishSelector(ClusterMessageType type, BroadcastOptions options, IReadOnlyCollection<string>? rooms, bool close)
    {
        if (options.Local)
        {
            return;
        }

        Publish(_mainChannel, Envelope(type, (options, rooms, close), static (json, s) =>
        {
            WriteOptions(json, s.options, withFlags: false);
            if (s.rooms is not null)
            {
                RedisWire.WriteJsonRooms(json, "rooms", s.rooms);
            }
            else
            {
                json.WriteBoolean("close", s.close);
            }
        }, Array.Empty<ReadOnlyMemory<byte>>()));
    }

    private byte[] EncodeServerSideEmit(string eventName, object?[] args, string? requestId)
    {
        var packet = PacketWriter.Event(Namespace.Name, eventName, args, -1, Namespace.Server.JsonOptions);
        return Envelope(ClusterMessageType.ServerSideEmit, (packet, requestId), static (json, s) =>
        {
            if (s.requestId is not null)
            {
                json.WriteString("requestId", s.requestId);
            }

            json.WritePropertyName("packet");
            json.WriteRawValue(s.packet.Data.Span, skipInputValidation: true);
        }, packet.Attachments);
    }

    /// <summary><c>{requestId, packet}</c> replies (types 10 and 12); an absent value is omitted, as JSON.stringify drops undefined.</summary>
    private byte[] EncodeReply(ClusterMessageType type, string requestId, byte[]? value, IReadOnlyList<ReadOnlyMemory<byte>> attachments) =>
        Envelope(type, (requestId, value), static (json, s) =>
        {
            json.WriteString("requestId", s.requestId);
            if (s.value is not null)
            {
                json.WritePropertyName("packet");
                json.WriteRawValue(s.value, skipInputValidation: true);
            }
        }, attachments);

    private void Respond(string requesterUid, byte[] payload) => Publish(RedisChannel.Sharded(_prefix + requesterUid + "#"), payload);

    private static byte[] Wrap(JsonElement data, string name)
    {
        if (!data.TryGetProperty(name, out var value))
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

    private static string NewRequestId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}
