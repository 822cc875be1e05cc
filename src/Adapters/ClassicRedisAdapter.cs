using System.Buffers;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using FastIo.SocketIO;
using FastIo.SocketIO.Adapters;
using FastIo.SocketIO.Protocol;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FastIo.Adapters.Redis;

/// <summary>
/// The classic pub/sub adapter of one namespace, a peer of @socket.io/redis-adapter 8.3's <c>createAdapter</c>
/// (../shared/docs/redis-wire.md §2). Local delivery happens first-hand and never waits on Redis; every publish is
/// fire-and-forget on the shared multiplexer, which pipelines them over one connection.
/// </summary>
internal sealed partial class ClassicRedisAdapter : Adapter
{
    private const string UidAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    private readonly RedisConnectionState _shared;
    private readonly ILogger _logger;
    private readonly string _uid;
    private readonly string _broadcastPrefix;
    private readonly string _requestChannelName;
    private readonly RedisChannel _broadcastChannel;
    private readonly RedisChannel _requestChannel;
    private readonly RedisChannel _responseChannel;
    private readonly ConcurrentDictionary<string, PendingRequest> _requests = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, BroadcastAckRequest> _ackRequests = new(StringComparer.Ordinal);
    private readonly List<ChannelMessageQueue> _queues = new();
    private readonly Task _subscribed;

    public ClassicRedisAdapter(Namespace nsp, RedisConnectionState shared)
        : base(nsp)
    {
        _shared = shared;
        _logger = nsp.Server.Logger;
        _uid = NewId();
        var key = shared.Options.Key;
        _broadcastPrefix = key + "#" + nsp.Name + "#";
        _requestChannelName = key + "-request#" + nsp.Name + "#";
        _broadcastChannel = RedisChannel.Literal(_broadcastPrefix);
        _requestChannel = RedisChannel.Literal(_requestChannelName);
        _responseChannel = RedisChannel.Literal(key + "-response#" + nsp.Name + "#");
        shared.Watch(_logger);
        _subscribed = SubscribeAsync();
    }

    /// <summary>This adapter's uid: 6 characters, as uid2 makes them, never containing <c>#</c>.</summary>
    public string Uid => _uid;

    private TimeSpan RequestsTimeout => _shared.Options.RequestsTimeout;

    /// <summary>Completes once every channel is subscribed (the subscriptions start with the namespace).</summary>
    public override ValueTask InitAsync(CancellationToken cancellationToken = default) =>
        new(_subscribed.WaitAsync(cancellationToken));

    public override async ValueTask CloseAsync()
    {
        ChannelMessageQueue[] queues;
        lock (_queues)
        {
            queues = _queues.ToArray();
            _queues.Clear();
        }

        foreach (var queue in queues)
        {
            try
            {
                await queue.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (RedisException)
            {
                // Redis is away: the subscription ends with the connection anyway.
            }
        }

        await base.CloseAsync().ConfigureAwait(false);
    }

    internal override void Broadcast(SocketPacket packet, BroadcastOptions options)
    {
        if (!options.Local)
        {
            // Exactly one room: its own channel, so only the servers hosting it decode the message (§2.3).
            var channel = options.Rooms.Count == 1 ? RedisChannel.Literal(_broadcastPrefix + First(options.Rooms) + "#") : _broadcastChannel;
            Publish(channel, RedisWire.EncodeBroadcast(_uid, packet, options));
        }

        base.Broadcast(packet, options);
    }

    private async Task SubscribeAsync()
    {
        try
        {
            var key = _shared.Options.Key;
            var sub = _shared.Subscriber;
            await AddAsync(sub, RedisChannel.Pattern(_broadcastPrefix + "*"), OnBroadcastMessage).ConfigureAwait(false);
            await AddAsync(sub, _requestChannel, OnRequestMessage).ConfigureAwait(false);
            await AddAsync(sub, _responseChannel, OnResponseMessage).ConfigureAwait(false);
            await AddAsync(sub, RedisChannel.Literal(key + "-response#" + Namespace.Name + "#" + _uid + "#"), OnResponseMessage).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.SubscribeFailed(_logger, e, Namespace.Name);
            throw;
        }
    }

    private async Task AddAsync(ISubscriber sub, RedisChannel channel, Action<ChannelMessage> handler)
    {
        // A queue per channel delivers in order, one message at a time, off StackExchange.Redis's reader.
        var queue = await sub.SubscribeAsync(channel).ConfigureAwait(false);
        queue.OnMessage(handler);
        lock (_queues)
        {
            _queues.Add(queue);
        }
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
            var decoded = BroadcastMessage.Decode((ReadOnlyMemory<byte>)message.Message, _uid, Namespace.Name, out var error);
            if (decoded is null)
            {
                if (error is not null)
                {
                    Log.Malformed(_logger, channel, error);
                }

                return;
            }

            base.Broadcast(decoded.Packet, decoded.Options);
        }
        catch (Exception e)
        {
            Log.HandlingFailed(_logger, e, channel);
        }
    }

    private void OnRequestMessage(ChannelMessage message) => Dispatch(message, HandleRequest);

    private void OnResponseMessage(ChannelMessage message) => Dispatch(message, HandleResponse);

    private void Dispatch(ChannelMessage message, Action<JsonElement, IReadOnlyList<ReadOnlyMemory<byte>>> handler)
    {
        JsonDocument document;
        try
        {
            document = RedisWire.Parse((ReadOnlyMemory<byte>)message.Message, out var attachments);
            using (document)
            {
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    handler(document.RootElement, attachments);
                }
            }
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            Log.Malformed(_logger, message.Channel.ToString(), e.Message);
        }
        catch (Exception e)
        {
            Log.HandlingFailed(_logger, e, message.Channel.ToString());
        }
    }

    private void Publish(RedisChannel channel, byte[] payload)
    {
        try
        {
            // Fire-and-forget: queued on the multiplexer's pipeline (backlogged while reconnecting), never awaited.
            _shared.Subscriber.Publish(channel, payload, CommandFlags.FireAndForget);
        }
        catch (Exception e) when (e is RedisException or ObjectDisposedException)
        {
            Log.PublishFailed(_logger, e, channel.ToString());
        }
    }

    private void PublishResponse(string? requesterUid, byte[] payload)
    {
        var channel = _shared.Options.PublishOnSpecificResponseChannel && requesterUid is not null
            ? RedisChannel.Literal(_shared.Options.Key + "-response#" + Namespace.Name + "#" + requesterUid + "#")
            : _responseChannel;
        Publish(channel, payload);
    }

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

    private static string First(IReadOnlySet<string> rooms)
    {
        foreach (var room in rooms)
        {
            return room;
        }

        throw new InvalidOperationException("no room");
    }

    internal static string NewId() => RandomNumberGenerator.GetString(UidAlphabet, 6);
}
