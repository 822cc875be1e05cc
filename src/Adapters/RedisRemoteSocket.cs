using System.Globalization;
using System.Net;
using System.Text.Json;
using FastIo.EngineIO;
using FastIo.SocketIO;

namespace FastIo.Adapters.Redis;

/// <summary>
/// A socket another server of the cluster reported in a REMOTE_FETCH response. Its operations travel as the same
/// room-targeted requests Node's RemoteSocket uses (the socket id is a room holding only that socket).
/// </summary>
internal sealed class RedisRemoteSocket : RemoteSocket
{
    private readonly Namespace _nsp;

    private RedisRemoteSocket(Namespace nsp, string id, SocketHandshake? handshake, IReadOnlySet<string> rooms, IDictionary<string, object?> data)
        : base(id, handshake, rooms, data)
    {
        _nsp = nsp;
    }

    /// <summary>Builds the handle from <c>{id, handshake, rooms, data}</c>; null without an id.</summary>
    public static RedisRemoteSocket? From(Namespace nsp, JsonElement entry)
    {
        if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("id", out var id) || id.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        var data = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (entry.TryGetProperty("data", out var d) && d.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in d.EnumerateObject())
            {
                data[property.Name] = property.Value.Clone();
            }
        }

        var handshake = entry.TryGetProperty("handshake", out var h) ? ReadHandshake(h) : null;
        return new RedisRemoteSocket(nsp, id.GetString()!, handshake, RedisWire.ReadRooms(entry, "rooms"), data);
    }

    public override bool Emit(string eventName, params object?[] args) => _nsp.To(Id).Emit(eventName, args);

    public override async Task<SocketArgs> EmitWithAckAsync(string eventName, object?[] args, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var replies = await _nsp.To(Id).Timeout(timeout).EmitWithAckAsync(eventName, args, cancellationToken).ConfigureAwait(false);
        return replies.Length > 0 ? replies[0] : throw new AckTimeoutException(replies, 1);
    }

    public override void Join(params string[] rooms) => _nsp.In(Id).SocketsJoin(rooms);

    public override void Leave(string room) => _nsp.In(Id).SocketsLeave(room);

    public override void Disconnect(bool close = false) => _nsp.In(Id).DisconnectSockets(close);

    /// <summary>Node's handshake object (headers, time, address, secure, issued, url, auth) as a FastIo handshake.</summary>
    private static SocketHandshake? ReadHandshake(JsonElement h)
    {
        if (h.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var headers = new List<KeyValuePair<string, string>>();
        if (h.TryGetProperty("headers", out var hs) && hs.ValueKind == JsonValueKind.Object)
        {
            foreach (var header in hs.EnumerateObject())
            {
                headers.Add(new(header.Name, header.Value.ValueKind == JsonValueKind.String ? header.Value.GetString()! : header.Value.GetRawText()));
            }
        }

        var url = h.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String ? u.GetString()! : "/";
        EndPoint? remote = h.TryGetProperty("address", out var a) && a.ValueKind == JsonValueKind.String && IPAddress.TryParse(a.GetString(), out var ip)
            ? new IPEndPoint(ip, 0)
            : null;
        var secure = h.TryGetProperty("secure", out var s) && s.ValueKind == JsonValueKind.True;
        var issued = h.TryGetProperty("issued", out var i) && i.TryGetInt64(out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : DateTimeOffset.UnixEpoch;
        var auth = h.TryGetProperty("auth", out var au) ? au.Clone() : JsonDocument.Parse("{}").RootElement;
        var request = new EngineRequestInfo("GET", url, headers.ToArray(), remote, secure);
        return new SocketHandshake(request, auth, issued);
    }

    /// <summary>
    /// Writes the answer to a fetch (<c>requestId</c>, then <c>sockets</c>): the body of the classic REMOTE_FETCH
    /// response and of the sharded FETCH_SOCKETS_RESPONSE's data alike.
    /// </summary>
    public static void WriteResponse(Utf8JsonWriter json, string requestId, List<Socket> sockets, JsonSerializerOptions options)
    {
        json.WriteString("requestId", requestId);
        json.WriteStartArray("sockets");
        foreach (var socket in sockets)
        {
            Write(json, socket, options);
        }

        json.WriteEndArray();
    }

    /// <summary>Writes a local socket as a REMOTE_FETCH entry, in Node's shape (redis-wire.md §2.4).</summary>
    private static void Write(Utf8JsonWriter json, Socket socket, JsonSerializerOptions options)
    {
        var hs = socket.Handshake;
        json.WriteStartObject();
        json.WriteString("id", socket.Id);
        json.WriteStartObject("handshake");
        json.WriteStartObject("headers");
        foreach (var (name, value) in hs.Headers)
        {
            json.WriteString(name.ToLowerInvariant(), value);
        }

        json.WriteEndObject();
        json.WriteString("time", hs.Time.ToString("ddd MMM dd yyyy HH:mm:ss 'GMT+0000 (Coordinated Universal Time)'", CultureInfo.InvariantCulture));
        json.WriteString("address", hs.Address);
        json.WriteBoolean("xdomain", hs.XDomain);
        json.WriteBoolean("secure", hs.Secure);
        json.WriteNumber("issued", hs.Issued);
        json.WriteString("url", hs.Url);
        json.WriteStartObject("query");
        foreach (var (name, value) in hs.Query)
        {
            json.WriteString(name, value);
        }

        json.WriteEndObject();
        json.WritePropertyName("auth");
        hs.Auth.WriteTo(json);
        json.WriteEndObject();
        RedisWire.WriteJsonRooms(json, "rooms", socket.Rooms);
        json.WritePropertyName("data");
        JsonSerializer.Serialize(json, socket.Data, options);
        json.WriteEndObject();
    }
}
