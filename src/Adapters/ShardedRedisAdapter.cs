using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using FastIo.SocketIO;
using FastIo.SocketIO.Adapters;
using FastIo.SocketIO.Protocol;
using Microsoft.Extensions.Logging;
using MessagePack;
using StackExchange.Redis;

namespace FastIo.Adapters.Redis;

/// <summary>
/// The sharded pub/sub adapter of one namespace (Redis 7+), a peer of @socket.io/redis-adapter 8.3's
/// <c>createShardedAdapter</c> (redis-wire.md §4): <c>{type, data, uid, nsp}</c> envelopes, JSON unless the data
/// holds binary, on <c>&lt;key&gt;#&lt;nsp&gt;#</c>, per-server response channels and, in dynamic modes, per-room
/// channels. Like the classic adapter, local delivery never waits and publishing is fire-and-forget.
/// </summary>
internal sealed partial class ShardedRedisAdapter : Adapter
{
    /// <summary>Socket.IO v4 socket ids are 20 characters: Node's dynamic mode keeps such rooms on the main channel.</summary>
    private const int SocketIdLength = 20;

    private readonly RedisConnectionState _shared;
    private readonly ILogger _logger;
    private readonly string _uid;
    private readonly string _prefix;
    private readonly RedisChannel _mainChannel;
    private readonly RedisChannel _ownChannel;
    private readonly ShardedSubscriptionMode _mode;
    private readonly ConcurrentDictionary<string, PendingRequest> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BroadcastAckRequest> _ackRequests = new(StringComparer.Ordinal);
    private readonly Action<RedisChannel, RedisValue> _onRoomMessage;
    private readonly List<ChannelMessageQueue> _queues = new();
    private readonly Task _subscribed;

    public ShardedRedisAdapter(Namespace nsp, RedisConnectionState shared)
        : base(nsp)
    {
        _shared = shared;
        _logger = nsp.Server.Logger;
        _uid = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        _prefix = shared.Options.Key + "#" + nsp.Name + "#";
        _mainChannel = RedisChannel.Sharded(_prefix);
        _ownChannel = RedisChannel.Sharded(_prefix + _uid + "#");
        _mode = shared.Options.SubscriptionMode;
        _onRoomMessage = (_, value) => OnMessage((ReadOnlyMemory<byte>)value, responsesOnly: false, "room channel");
        if (_mode != ShardedSubscriptionMode.Static)
        {
            RoomCreated += OnRoomCreated;
            RoomDeleted += OnRoomDeleted;
        }

        shared.Watch(_logger);
        _subscribed = SubscribeAsync();
    }

    private TimeSpan RequestsTimeout => _shared.Options.RequestsTimeout;

    public override ValueTask InitAsync(CancellationToken cancellationToken = default) => new(_subscribed.WaitAsync(cancellationToken));

    public override async ValueTask CloseAsync()
    {
        ChannelMessageQueue[] queues;
        lock (_queues)
        {
            queues = _queues.ToArray();
            _queues.Clear();
        }

        try
        {
            foreach (var queue in queues)
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }

            if (_mode != ShardedSubscriptionMode.Static)
            {
                RoomCreated -= OnRoomCreated;
                RoomDeleted -= OnRoomDeleted;
                foreach (var room in Rooms())
                {
                    await _shared.Subscriber.UnsubscribeAsync(RedisChannel.Sharded(_prefix + room + "#"), _onRoomMessage).ConfigureAwait(false);
                }
            }
        }
        catch (RedisException)
        {
            // Redis is away: the subscriptions end with the connection anyway.
        }

        await base.CloseAsync().ConfigureAwait(false);
    }

    internal override void Broadcast(SocketPacket packet, BroadcastOptions options)
    {
        if (!options.Local)
        {
            var room = options.Rooms.Count == 1 ? First(options.Rooms) : null;
            var roomChannel = room is not null && (_mode == ShardedSubscriptionMode.DynamicPrivate ||
                                                   (_mode == ShardedSubscriptionMode.Dynamic && room.Length != SocketIdLength));
            Publish(roomChannel ? RedisChannel.Sharded(_prefix + room + "#") : _mainChannel, EncodeBroadcast(packet, options, null));
        }

        base.Broadcast(packet, options);
    }

    private async Task SubscribeAsync()
    {
        try
        {
            foreach (var (channel, responsesOnly) in new[] { (_mainChannel, false), (_ownChannel, true) })
            {
                var queue = await _shared.Subscriber.SubscribeAsync(channel).ConfigureAwait(false);
                var only = responsesOnly;
                queue.OnMessage(m => OnMessage((ReadOnlyMemory<byte>)m.Message, only, m.Channel.ToString()));
                lock (_queues)
                {
                    _queues.Add(queue);
                }
            }
        }
        catch (Exception e)
        {
            Log.SubscribeFailed(_logger, e, Namespace.Name);
            throw;
        }
    }

    private void OnRoomCreated(string room)
    {
        // Dynamic mode leaves socket-id rooms (a key of the socket map when its own room is created) to the main channel.
        if (_mode == ShardedSubscriptionMode.Dynamic && SocketRooms(room) is not null)
        {
            return;
        }

        _ = _shared.Subscriber.SubscribeAsync(RedisChannel.Sharded(_prefix + room + "#"), _onRoomMessage).ContinueWith(
            static (t, state) => Log.SubscribeFailed(((ShardedRedisAdapter)state!)._logger, t.Exception!, ((ShardedRedisAdapter)state!).Namespace.Name),
            this,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Default);
    }

    private void OnRoomDeleted(string room)
    {
        if (_mode == ShardedSubscriptionMode.Dynamic && room.Length == SocketIdLength && Namespace.TryGetSocket(room, out _))
        {
            return;
        }

        _ = _shared.Subscriber.UnsubscribeAsync(RedisChannel.Sharded(_prefix + room + "#"), _onRoomMessage).ContinueWith(
            static _ => { }, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    private void OnMessage(ReadOnlyMemory<byte> payload, bool responsesOnly, string channel)
    {
        try
        {
            using var document = RedisWire.Parse(payload, out var attachments);
            var message = document.RootElement;
            if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("type", out var t) || !t.TryGetInt32(out var type))
            {
                return;
            }

            var uid = message.TryGetProperty("uid", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString() : null;
            var nsp = message.TryGetProperty("nsp", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString() : null;
            if (uid == _uid || nsp != Namespace.Name)
            {
                return;
            }

            var data = message.TryGetProperty("data", out var d) ? d : default;
            var kind = (ClusterMessageType)type;
            if (responsesOnly || kind is ClusterMessageType.FetchSocketsResponse or ClusterMessageType.ServerSideEmitResponse or
                    ClusterMessageType.BroadcastClientCount or ClusterMessageType.BroadcastAck)
            {
                HandleResponse(kind, data, attachments);
            }
            else
            {
                HandleMessage(kind, uid, data, attachments);
            }
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            Log.Malformed(_logger, channel, e.Message);
        }
        catch (Exception e)
        {
            Log.HandlingFailed(_logger, e, channel);
        }
    }

    private void Publish(RedisChannel channel, byte[] payload)
    {
        try
        {
            _shared.Subscriber.Publish(channel, payload, CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException)
        {
            Log.PublishFailed(_logger, e, channel.ToString());
        }
    }

    /// <summary>
    /// <c>{type, data, uid, nsp}</c>: written as JSON (placeholders for binary), then turned into one msgpack map when
    /// there are attachments, so binary goes inline as <c>bin</c> exactly where Node puts it (§4.2).
    /// </summary>
    private byte[] Envelope<TState>(ClusterMessageType type, TState state, Action<Utf8JsonWriter, TState> writeData, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("type", (int)type);
            json.WriteStartObject("data");
            writeData(json, state);
            json.WriteEndObject();
            json.WriteString("uid", _uid);
            json.WriteString("nsp", Namespace.Name);
            json.WriteEndObject();
        }

        if (attachments.Count == 0)
        {
            return buffer.WrittenSpan.ToArray();
        }

        var packed = new ArrayBufferWriter<byte>(buffer.WrittenCount);
        var writer = new MessagePackWriter(packed);
        JsonToMsgPack.Write(ref writer, buffer.WrittenSpan, attachments);
        writer.Flush();
        return packed.WrittenSpan.ToArray();
    }

    private byte[] EncodeBroadcast(SocketPacket packet, BroadcastOptions options, string? requestId) =>
        Envelope(ClusterMessageType.Broadcast, (packet, options, requestId), static (json, s) =>
        {
            json.WriteStartObject("packet");
            json.WriteNumber("type", RedisWire.EventType);
            json.WritePropertyName("data");
            json.WriteRawValue(s.packet.Data.Span, skipInputValidation: true);
            json.WriteEndObject();
            if (s.requestId is not null)
            {
                json.WriteString("requestId", s.requestId);
            }

            WriteOptions(json, s.options, withFlags: true);
        }, packet.Attachments);

    private static void WriteOptions(Utf8JsonWriter json, BroadcastOptions options, bool withFlags)
    {
        json.WriteStartObject("opts");
        RedisWire.WriteJsonRooms(json, "rooms", options.Rooms);
        RedisWire.WriteJsonRooms(json, "except", options.Except);
        json.WriteStartObject("flags");
        if (withFlags)
        {
            if (options.Volatile)
            {
                json.WriteBoolean("volatile", true);
            }

            if (!options.Compress)
            {
                json.WriteBoolean("compress", false);
            }

            if (options.Timeout is { } timeout)
            {
                json.WriteNumber("timeout", (long)timeout.TotalMilliseconds);
            }
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static string First(IReadOnlySet<string> rooms)
    {
        foreach (var room in rooms)
        {
            return room;
        }

        throw new InvalidOperationException("no room");
    }
}
