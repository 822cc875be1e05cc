using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using FastIo.SocketIO;
using FastIo.SocketIO.Protocol;
using StackExchange.Redis;

namespace FastIo.Adapters.Redis;

/// <summary>
/// The classic pub/sub adapter of one namespace, a peer of @socket.io/redis-adapter 8.3's <c>createAdapter</c>
/// (../shared/docs/redis-wire.md §2): msgpack broadcasts on <c>&lt;key&gt;#&lt;nsp&gt;#</c> and per-room channels,
/// JSON or msgpack requests on the request channel, responses on the common or the requester's response channel.
/// </summary>
internal sealed partial class ClassicRedisAdapter : RedisAdapterBase
{
    private const string UidAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private readonly string _broadcastPrefix;
    private readonly string _requestChannelName;
    private readonly RedisChannel _broadcastChannel;
    private readonly RedisChannel _requestChannel;
    private readonly RedisChannel _responseChannel;

    public ClassicRedisAdapter(Namespace nsp, RedisConnectionState shared)
        : base(nsp, shared, NewId)
    {
        var key = shared.Options.Key;
        _broadcastPrefix = key + "#" + nsp.Name + "#";
        _requestChannelName = key + "-request#" + nsp.Name + "#";
        _broadcastChannel = RedisChannel.Literal(_broadcastPrefix);
        _requestChannel = RedisChannel.Literal(_requestChannelName);
        _responseChannel = RedisChannel.Literal(key + "-response#" + nsp.Name + "#");
        StartSubscriptions();
    }

    protected override RedisChannel RequestChannel => _requestChannel;

    /// <summary>PUBSUB NUMSUB on the request channel, as Node counts servers.</summary>
    protected override string ServerCountCommand => "NUMSUB";

    protected override string ServerCountChannel => _requestChannelName;

    protected override async Task SubscribeChannelsAsync()
    {
        Action<JsonElement, IReadOnlyList<ReadOnlyMemory<byte>>> onRequest = HandleRequest, onResponse = HandleResponse;
        await SubscribeAsync(RedisChannel.Pattern(_broadcastPrefix + "*"), OnBroadcastMessage).ConfigureAwait(false);
        await SubscribeAsync(_requestChannel, m => Dispatch(m.Channel, (ReadOnlyMemory<byte>)m.Message, onRequest)).ConfigureAwait(false);
        await SubscribeAsync(_responseChannel, m => Dispatch(m.Channel, (ReadOnlyMemory<byte>)m.Message, onResponse)).ConfigureAwait(false);
        await SubscribeAsync(ResponseChannelOf(Uid), m => Dispatch(m.Channel, (ReadOnlyMemory<byte>)m.Message, onResponse)).ConfigureAwait(false);
    }

    /// <summary>Exactly one room: its own channel, so only the servers hosting it decode the message (§2.3).</summary>
    protected override void PublishBroadcast(SocketPacket packet, BroadcastOptions options)
    {
        var room = SingleRoom(options);
        Publish(room is null ? _broadcastChannel : RedisChannel.Literal(_broadcastPrefix + room + "#"), RedisWire.EncodeBroadcast(Uid, packet, options));
    }

    /// <summary>The receive path of §2.3: room channels for rooms we lack are dropped undecoded.</summary>
    private void OnBroadcastMessage(ChannelMessage message)
    {
        var channel = message.Channel.ToString();
        if (!channel.StartsWith(_broadcastPrefix, StringComparison.Ordinal))
        {
            return;
        }

        if (channel.Length > _broadcastPrefix.Length + 1)
        {
            var room = channel.Substring(_broadcastPrefix.Length, channel.Length - _broadcastPrefix.Length - 1);
            if (!HasRoom(room))
            {
                return;
            }
        }

        try
        {
            var decoded = BroadcastMessage.Decode((ReadOnlyMemory<byte>)message.Message, Uid, Namespace.Name, out var error);
            if (decoded is null)
            {
                if (error is not null)
                {
                    Log.Malformed(Logger, channel, error);
                }

                return;
            }

            BroadcastLocally(decoded.Packet, decoded.Options);
        }
        catch (Exception e)
        {
            Log.HandlingFailed(Logger, e, channel);
        }
    }

    private void Respond(string? requesterUid, byte[] payload) =>
        Publish(Shared.Options.PublishOnSpecificResponseChannel && requesterUid is not null ? ResponseChannelOf(requesterUid) : _responseChannel, payload);

    private RedisChannel ResponseChannelOf(string uid) => RedisChannel.Literal(Shared.Options.Key + "-response#" + Namespace.Name + "#" + uid + "#");

    private static byte[] Json<TState>(TState state, Action<Utf8JsonWriter, TState> write)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            write(json, state);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    internal static string NewId() => RandomNumberGenerator.GetString(UidAlphabet, 6);
}
