using System.Text.Json;
using FastIo.SocketIO;
using FastIo.SocketIO.Protocol;

namespace FastIo.Adapters.Redis;

/// <summary>
/// ClusterAdapter semantics (socket.io-adapter 2.5, §4.3): join/leave/disconnect are applied by the sender and
/// published; fetch and server-side acks expect SHARDNUMSUB − 1 responses, counted; responses go to the
/// requester's own channel. No heartbeats (8.3's sharded adapter has none).
/// </summary>
internal sealed partial class ShardedRedisAdapter
{
    /// <summary>ClusterAdapter waits the operator's timeout when it has one (the classic adapter never does).</summary>
    protected override Task<PendingRequest?> FetchRemoteSocketsAsync(BroadcastOptions options, CancellationToken cancellationToken) =>
        RequestAsync(
            RequestType.RemoteFetch,
            options.Timeout ?? RequestsTimeout,
            requestId => Envelope(ClusterMessageType.FetchSockets, (options, requestId), static (json, s) =>
            {
                WriteOptions(json, s.options, withFlags: false);
                json.WriteString("requestId", s.requestId);
            }, Array.Empty<ReadOnlyMemory<byte>>()),
            (request, e) => new TimeoutException(
                $"timeout reached: only {request.Sockets.Count} sockets from fewer than {request.Expected} servers of {Namespace.Name} responded", e),
            cancellationToken);

    protected override byte[] EncodeBroadcastRequest(string requestId, SocketPacket packet, BroadcastOptions options) =>
        EncodeBroadcast(packet, options, requestId);

    /// <summary><c>data: {opts:{rooms, except, flags:{}}, rooms | close}</c>.</summary>
    protected override byte[] EncodeSelector(RequestType type, BroadcastOptions options, IReadOnlyCollection<string>? rooms, bool close)
    {
        var kind = type switch
        {
            RequestType.RemoteJoin => ClusterMessageType.SocketsJoin,
            RequestType.RemoteLeave => ClusterMessageType.SocketsLeave,
            _ => ClusterMessageType.DisconnectSockets,
        };
        return Envelope(kind, (options, rooms, close), static (json, s) =>
        {
            WriteOptions(json, s.options, withFlags: false);
            RedisWire.WriteJsonRoomsOrClose(json, s.rooms, s.close);
        }, Array.Empty<ReadOnlyMemory<byte>>());
    }

    protected override byte[] EncodeServerSideEmit(string eventName, object?[] args, string? requestId)
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

    private void HandleMessage(ClusterMessageType type, string? uid, JsonElement data, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (data.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var requestId = GetString(data, "requestId");
        switch (type)
        {
            case ClusterMessageType.Broadcast:
                OnBroadcast(uid, data, requestId, attachments);
                break;
            case ClusterMessageType.SocketsJoin:
                ApplySelector(RequestType.RemoteJoin, data);
                break;
            case ClusterMessageType.SocketsLeave:
                ApplySelector(RequestType.RemoteLeave, data);
                break;
            case ClusterMessageType.DisconnectSockets:
                ApplySelector(RequestType.RemoteDisconnect, data);
                break;
            case ClusterMessageType.FetchSockets when requestId is not null && uid is not null:
                var targets = TargetSockets(RedisWire.ReadOptions(data, withFlags: false));
                var jsonOptions = Namespace.Server.JsonOptions;
                Respond(uid, Envelope(
                    ClusterMessageType.FetchSocketsResponse,
                    (requestId, targets, jsonOptions),
                    static (json, s) => RedisRemoteSocket.WriteResponse(json, s.requestId, s.targets, s.jsonOptions),
                    Array.Empty<ReadOnlyMemory<byte>>()));
                break;
            case ClusterMessageType.ServerSideEmit:
                DeliverServerSideEmit(data, "packet", attachments, requestId is null || uid is null ? null : reply =>
                {
                    var first = FirstAckArgument(reply, out var replyAttachments);
                    Respond(uid, EncodeReply(ClusterMessageType.ServerSideEmitResponse, requestId, first, replyAttachments));
                });
                break;
        }
    }

    /// <summary>A broadcast, or with a request id a broadcast with acks whose counts and acks go back to the requester.</summary>
    private void OnBroadcast(string? uid, JsonElement data, string? requestId, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (ReadEventPacket(data, attachments) is not { } packet)
        {
            return;
        }

        if (requestId is null || uid is null)
        {
            BroadcastLocally(packet, RedisWire.ReadOptions(data, withFlags: true));
            return;
        }

        BroadcastForRequester(
            packet,
            RedisWire.ReadOptions(data, withFlags: false),
            count => Respond(uid, Envelope(ClusterMessageType.BroadcastClientCount, (requestId, count), static (json, s) =>
            {
                json.WriteString("requestId", s.requestId);
                json.WriteNumber("clientCount", s.count);
            }, Array.Empty<ReadOnlyMemory<byte>>())),
            reply => Respond(uid, EncodeReply(ClusterMessageType.BroadcastAck, requestId, reply.Count > 0 ? RedisWire.Raw(reply.GetJson(0)) : null, reply.Attachments)));
    }

    /// <summary>Responses name their type: one that is not an answer this request takes is not counted.</summary>
    private void HandleResponse(ClusterMessageType type, JsonElement data, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        if (data.ValueKind != JsonValueKind.Object || GetString(data, "requestId") is not { } requestId ||
            TryAnswerBroadcast(requestId, isClientCount: type == ClusterMessageType.BroadcastClientCount, isAck: type == ClusterMessageType.BroadcastAck, data, attachments) ||
            !Requests.TryGetValue(requestId, out var request))
        {
            return;
        }

        lock (request)
        {
            if (type == ClusterMessageType.FetchSocketsResponse && data.TryGetProperty("sockets", out var sockets) && sockets.ValueKind == JsonValueKind.Array)
            {
                AddRemoteSockets(request, sockets);
            }
            else if (type == ClusterMessageType.ServerSideEmitResponse)
            {
                request.Replies.Add(Reply(data, "packet", attachments));
            }
            else
            {
                return;
            }
        }

        request.Count();
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

    private void Respond(string requesterUid, byte[] payload) => Publish(ChannelOf(requesterUid), payload);
}
