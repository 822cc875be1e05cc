using System.Buffers;
using System.Text.Json;
using FastIo.SocketIO;
using StackExchange.Redis;

namespace FastIo.Adapters.Redis;

/// <summary>
/// Publishes to a Socket.IO cluster through Redis from any .NET process, with the same bytes as
/// @socket.io/redis-emitter 5.x (uid <c>"emitter"</c>, redis-wire.md §3): reaches FastIo and Node servers using the
/// classic adapter. Immutable: every modifier returns a new emitter. Publishing never waits on Redis.
/// </summary>
public sealed class RedisEmitter
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal)
    {
        "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
    };

    private readonly ISubscriber _publisher;
    private readonly string _key;
    private readonly string _nsp;
    private readonly BroadcastOptions _options;
    private readonly JsonSerializerOptions _json;

    /// <summary>Creates an emitter for namespace <c>/</c> with prefix <paramref name="key"/>.</summary>
    public RedisEmitter(IConnectionMultiplexer redis, string key = "socket.io", JsonSerializerOptions? jsonOptions = null)
        : this(redis?.GetSubscriber() ?? throw new ArgumentNullException(nameof(redis)), key, "/", new BroadcastOptions(), WithBinary(jsonOptions))
    {
    }

    private RedisEmitter(ISubscriber publisher, string key, string nsp, BroadcastOptions options, JsonSerializerOptions json)
    {
        _publisher = publisher;
        _key = key;
        _nsp = nsp;
        _options = options;
        _json = json;
    }

    /// <summary>The same emitter for namespace <paramref name="nsp"/> (a missing leading slash is added).</summary>
    public RedisEmitter Of(string nsp) =>
        new(_publisher, _key, nsp.StartsWith('/') ? nsp : "/" + nsp, new BroadcastOptions(), _json);

    /// <summary>Targets the sockets in <paramref name="rooms"/> too.</summary>
    public RedisEmitter To(params string[] rooms) => With(Union(_options.Rooms, rooms), _options.Except, _options.Volatile, _options.Compress);

    /// <summary>Same as <see cref="To"/>.</summary>
    public RedisEmitter In(params string[] rooms) => To(rooms);

    /// <summary>Leaves out the sockets in <paramref name="rooms"/>.</summary>
    public RedisEmitter Except(params string[] rooms) => With(_options.Rooms, Union(_options.Except, rooms), _options.Volatile, _options.Compress);

    /// <summary>Drops the event for clients that cannot take it right now.</summary>
    public RedisEmitter Volatile => With(_options.Rooms, _options.Except, true, _options.Compress);

    /// <summary>Sets the compression hint.</summary>
    public RedisEmitter Compress(bool compress) => With(_options.Rooms, _options.Except, _options.Volatile, compress);

    /// <summary>Emits to every targeted socket of the cluster; <c>byte[]</c> arguments travel as binary.</summary>
    public bool Emit(string eventName, params object?[] args)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        if (Reserved.Contains(eventName))
        {
            throw new ArgumentException($"\"{eventName}\" is a reserved event name", nameof(eventName));
        }

        var packet = PacketWriter.Event(_nsp, eventName, args, -1, _json);
        var channel = _key + "#" + _nsp + "#";
        if (_options.Rooms.Count == 1)
        {
            foreach (var room in _options.Rooms)
            {
                channel += room + "#";
            }
        }

        Publish(channel, RedisWire.EncodeBroadcast("emitter", packet, _options, emitterOrder: true));
        return true;
    }

    /// <summary>Makes the targeted sockets join <paramref name="rooms"/>.</summary>
    public void SocketsJoin(params string[] rooms) => PublishRequest(2, rooms, close: false);

    /// <summary>Makes the targeted sockets leave <paramref name="rooms"/>.</summary>
    public void SocketsLeave(params string[] rooms) => PublishRequest(3, rooms, close: false);

    /// <summary>Disconnects the targeted sockets (and their whole connections when <paramref name="close"/>).</summary>
    public void DisconnectSockets(bool close = false) => PublishRequest(4, null, close);

    /// <summary>Sends an event to every server's server-side handlers (no acknowledgements, as in Node's emitter).</summary>
    public void ServerSideEmit(string eventName, params object?[] args)
    {
        var packet = PacketWriter.Event(_nsp, eventName, args, -1, _json);
        var buffer = new ArrayBufferWriter<byte>(64 + packet.Data.Length);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("uid", "emitter");
            json.WriteNumber("type", 6);
            json.WritePropertyName("data");
            json.WriteRawValue(packet.Data.Span, skipInputValidation: true);
            json.WriteEndObject();
        }

        Publish(_key + "-request#" + _nsp + "#", buffer.WrittenSpan.ToArray());
    }

    /// <summary>Requests 2–4 as the emitter sends them: JSON, no uid, no requestId (nobody answers).</summary>
    private void PublishRequest(int type, string[]? rooms, bool close)
    {
        var buffer = new ArrayBufferWriter<byte>(96);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("type", type);
            RedisWire.WriteJsonSelector(json, _options);
            if (rooms is not null)
            {
                RedisWire.WriteJsonRooms(json, "rooms", rooms);
            }
            else
            {
                json.WriteBoolean("close", close);
            }

            json.WriteEndObject();
        }

        Publish(_key + "-request#" + _nsp + "#", buffer.WrittenSpan.ToArray());
    }

    private void Publish(string channel, byte[] payload) =>
        _publisher.Publish(RedisChannel.Literal(channel), payload, CommandFlags.FireAndForget);

    private RedisEmitter With(IReadOnlySet<string> rooms, IReadOnlySet<string> except, bool volatileFlag, bool compress) =>
        new(_publisher, _key, _nsp, new BroadcastOptions { Rooms = rooms, Except = except, Volatile = volatileFlag, Compress = compress }, _json);

    /// <summary>A copy of the options whose <c>byte[]</c>/memory values become attachments (then msgpack <c>bin</c>), as on a server.</summary>
    private static JsonSerializerOptions WithBinary(JsonSerializerOptions? options)
    {
        var copy = new JsonSerializerOptions(options ?? new JsonSerializerOptions(JsonSerializerDefaults.Web));
        BinaryPlaceholders.Register(copy);
        return copy;
    }

    private static HashSet<string> Union(IReadOnlySet<string> existing, string[] more)
    {
        var set = new HashSet<string>(existing, StringComparer.Ordinal);
        set.UnionWith(more);
        return set;
    }
}
