using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using FastIo.SocketIO;
using FastIo.SocketIO.Protocol;
using MessagePack;
using StackExchange.Redis;

namespace FastIo.Adapters.Redis;

/// <summary>
/// The sharded pub/sub adapter of one namespace (Redis 7+), a peer of @socket.io/redis-adapter 8.3's
/// <c>createShardedAdapter</c> (redis-wire.md §4): <c>{type, data, uid, nsp}</c> envelopes, JSON unless the data
/// holds binary, on <c>&lt;key&gt;#&lt;nsp&gt;#</c>, per-server response channels and, in dynamic modes, per-room
/// channels.
/// </summary>
internal sealed partial class ShardedRedisAdapter : RedisAdapterBase
{
    /// <summary>Socket.IO v4 socket ids are 20 characters: Node's dynamic mode keeps such rooms on the main channel.</summary>
    private const int SocketIdLength = 20;

    private readonly string _prefix;
    private readonly RedisChannel _mainChannel;
    private readonly RedisChannel _ownChannel;
    private readonly ShardedSubscriptionMode _mode;
    private readonly Action<JsonElement, IReadOnlyList<ReadOnlyMemory<byte>>> _onAnyMessage;
    private readonly Action<RedisChannel, RedisValue> _onRoomMessage;

    public ShardedRedisAdapter(Namespace nsp, RedisConnectionState shared)
        : base(nsp, shared, NewId)
    {
        _prefix = shared.Options.Key + "#" + nsp.Name + "#";
        _mainChannel = RedisChannel.Sharded(_prefix);
        _ownChannel = RedisChannel.Sharded(_prefix + Uid + "#");
        _mode = shared.Options.SubscriptionMode;
        _onAnyMessage = (message, attachments) => OnMessage(message, attachments, responsesOnly: false);
        _onRoomMessage = (channel, value) => Dispatch(channel, (ReadOnlyMemory<byte>)value, _onAnyMessage);
        if (_mode != ShardedSubscriptionMode.Static)
        {
            RoomCreated += OnRoomCreated;
            RoomDeleted += OnRoomDeleted;
        }

        StartSubscriptions();
    }

    /// <summary>Requests, acked broadcasts included, always go on the main channel (never a room channel).</summary>
    protected override RedisChannel RequestChannel => _mainChannel;

    /// <summary>PUBSUB SHARDNUMSUB on the main channel, as Node counts servers.</summary>
    protected override string ServerCountCommand => "SHARDNUMSUB";

    protected override string ServerCountChannel => _prefix;

    /// <summary>Unsubscribes the room channels too (dynamic modes), then the main and own channels.</summary>
    public override async ValueTask CloseAsync()
    {
        if (_mode != ShardedSubscriptionMode.Static)
        {
            RoomCreated -= OnRoomCreated;
            RoomDeleted -= OnRoomDeleted;
            try
            {
                foreach (var room in Rooms())
                {
                    await Shared.Subscriber.UnsubscribeAsync(ChannelOf(room), _onRoomMessage).ConfigureAwait(false);
                }
            }
            catch (RedisException)
            {
                // Redis is away: the subscriptions end with the connection anyway.
            }
        }

        await base.CloseAsync().ConfigureAwait(false);
    }

    protected override async Task SubscribeChannelsAsync()
    {
        Action<JsonElement, IReadOnlyList<ReadOnlyMemory<byte>>> onResponse = (message, attachments) => OnMessage(message, attachments, responsesOnly: true);
        await SubscribeAsync(_mainChannel, m => Dispatch(m.Channel, (ReadOnlyMemory<byte>)m.Message, _onAnyMessage)).ConfigureAwait(false);
        await SubscribeAsync(_ownChannel, m => Dispatch(m.Channel, (ReadOnlyMemory<byte>)m.Message, onResponse)).ConfigureAwait(false);
    }

    protected override void PublishBroadcast(SocketPacket packet, BroadcastOptions options)
    {
        var room = SingleRoom(options);
        var roomChannel = room is not null && (_mode == ShardedSubscriptionMode.DynamicPrivate ||
                                               (_mode == ShardedSubscriptionMode.Dynamic && room.Length != SocketIdLength));
        Publish(roomChannel ? ChannelOf(room!) : _mainChannel, EncodeBroadcast(packet, options, null));
    }

    private void OnRoomCreated(string room)
    {
        // Dynamic mode leaves socket-id rooms (a key of the socket map when its own room is created) to the main channel.
        if (_mode == ShardedSubscriptionMode.Dynamic && SocketRooms(room) is not null)
        {
            return;
        }

        _ = Shared.Subscriber.SubscribeAsync(ChannelOf(room), _onRoomMessage).ContinueWith(
            static (t, state) => Log.SubscribeFailed(((ShardedRedisAdapter)state!).Logger, t.Exception!, ((ShardedRedisAdapter)state!).Namespace.Name),
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

        _ = Shared.Subscriber.UnsubscribeAsync(ChannelOf(room), _onRoomMessage).ContinueWith(
            static _ => { }, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
    }

    /// <summary>Routes an envelope from another server of this namespace: responses (on our own channel always) or requests.</summary>
    private void OnMessage(JsonElement message, IReadOnlyList<ReadOnlyMemory<byte>> attachments, bool responsesOnly)
    {
        if (!message.TryGetProperty("type", out var t) || !t.TryGetInt32(out var type))
        {
            return;
        }

        var uid = GetString(message, "uid");
        if (uid == Uid || GetString(message, "nsp") != Namespace.Name)
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
            json.WriteString("uid", Uid);
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

    /// <summary><c>&lt;key&gt;#&lt;nsp&gt;#&lt;name&gt;#</c>: a room's channel, or a server's own channel when the name is its uid.</summary>
    private RedisChannel ChannelOf(string name) => RedisChannel.Sharded(_prefix + name + "#");

    /// <summary>Server uids and request ids alike: 8 random bytes in hex, as Node's ClusterAdapter makes them.</summary>
    private static string NewId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}
