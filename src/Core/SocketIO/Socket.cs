using System.Collections.Concurrent;
using System.Text.Json;
using FastIo.EngineIO;
using FastIo.SocketIO.Adapters;
using FastIo.SocketIO.Protocol;

namespace FastIo.SocketIO;

/// <summary>
/// A client's connection to one namespace: its id, handshake, rooms, data, event handlers, emits and
/// acknowledgements. Without socket middleware, handlers of one socket are called one at a time, in the order the
/// client sent the events (an async handler's continuation may overlap the next event); socket middleware that
/// completes asynchronously lets later events overtake. <see cref="Disconnected"/> and <see cref="Error"/> may be
/// raised on any thread.
/// </summary>
public sealed partial class Socket
{
    private static readonly HashSet<string> s_reserved = new(StringComparer.Ordinal)
    {
        "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
    };

    private readonly Adapter _adapter;
    private IReadOnlyList<EncodedMessages>? _missedPackets;
    private int _connected; // 0 connecting, 1 connected, 2 disconnected
    private IDictionary<string, object?>? _data;

    internal Socket(Namespace nsp, SocketIOClient client, JsonElement auth, RestoredSession? restored)
    {
        Namespace = nsp;
        Client = client;
        _adapter = nsp.Adapter;
        var server = nsp.Server;
        Handshake = new SocketHandshake(client.Session.Request, auth.ValueKind == JsonValueKind.Undefined ? EmptyObject() : auth.Clone(), server.Options.TimeProvider.GetUtcNow());
        if (restored is not null)
        {
            Id = restored.Session.Sid;
            Pid = restored.Session.Pid;
            _data = restored.Session.Data;
            Recovered = true;
            _adapter.AddAll(Id, restored.Session.Rooms);
            _missedPackets = restored.MissedPackets;
        }
        else
        {
            // v3 clients (Socket.IO v2) expect "<nsp>#<engine id>"; newer ones get a fresh id, since the Engine.IO id
            // is sensitive (it lets anyone post into the session).
            Id = client.Session.Protocol == 3
                ? (nsp.Name == "/" ? client.Session.Id : nsp.Name + "#" + client.Session.Id)
                : NewId();
            Pid = server.Options.ConnectionStateRecovery is not null ? NewId() : null;
        }
    }

    /// <summary>The socket id (also the name of a room holding only this socket).</summary>
    public string Id { get; }

    /// <summary>The namespace.</summary>
    public Namespace Namespace { get; }

    /// <summary>The connection request.</summary>
    public SocketHandshake Handshake { get; }

    /// <summary>A bag for the application (kept across recovery, sent with <c>FetchSocketsAsync</c> in a cluster).</summary>
    /// <remarks>Created on first use: most sockets never touch it, and an idle connection should cost little.</remarks>
    public IDictionary<string, object?> Data
    {
        get
        {
            var data = Volatile.Read(ref _data);
            if (data is not null)
            {
                return data;
            }

            var created = new ConcurrentDictionary<string, object?>(StringComparer.Ordinal);
            return Interlocked.CompareExchange(ref _data, created, null) ?? created;
        }
    }

    /// <summary>Whether the socket is connected.</summary>
    public bool Connected => Volatile.Read(ref _connected) == 1;

    /// <summary>Whether the socket came back through connection state recovery (same id, rooms, data; missed packets delivered).</summary>
    public bool Recovered { get; }

    /// <summary>The rooms the socket is in, including its own id.</summary>
    public IReadOnlySet<string> Rooms => _adapter.SocketRooms(Id) ?? BroadcastOptions.NoRooms;

    /// <summary>The Engine.IO session underneath (shared by the client's sockets of other namespaces).</summary>
    public EngineSession Conn => Client.Session;

    internal SocketIOClient Client { get; }

    /// <summary>The private session id used for recovery (null when recovery is off).</summary>
    internal string? Pid { get; }

    /// <summary>A broadcast to every socket of the namespace but this one.</summary>
    public BroadcastOperator Broadcast => NewOperator();

    /// <summary>A broadcast to the sockets in <paramref name="rooms"/>, but not this one.</summary>
    public BroadcastOperator To(params string[] rooms) => NewOperator().To(rooms);

    /// <summary>Same as <see cref="To"/>.</summary>
    public BroadcastOperator In(params string[] rooms) => To(rooms);

    /// <summary>A broadcast to every other socket but those in <paramref name="rooms"/>.</summary>
    public BroadcastOperator Except(params string[] rooms) => NewOperator().Except(rooms);

    /// <summary>Joins rooms (nothing happens once the socket is disconnected).</summary>
    public void Join(params string[] rooms) => Join((IEnumerable<string>)rooms);

    /// <summary>Joins rooms (nothing happens once the socket is disconnected).</summary>
    public void Join(IEnumerable<string> rooms)
    {
        // A late async handler must not put a disconnected socket back into rooms nobody will ever clean.
        if (Volatile.Read(ref _connected) != 2)
        {
            _adapter.AddAll(Id, rooms);
        }
    }

    /// <summary>Leaves a room.</summary>
    public void Leave(string room) => _adapter.Del(Id, room);

    /// <summary>
    /// Disconnects from the namespace (the client gets a DISCONNECT packet; reason
    /// <c>server namespace disconnect</c>), or closes the whole connection when <paramref name="close"/>.
    /// </summary>
    public void Disconnect(bool close = false)
    {
        if (!Connected)
        {
            return;
        }

        if (close)
        {
            Client.DisconnectAll();
            return;
        }

        Client.Send(PacketWriter.Control(SocketPacketType.Disconnect, Namespace.Name, null, Namespace.Server.JsonOptions));
        OnClose(DisconnectReasons.ServerNamespaceDisconnect);
    }

    internal static void ThrowIfReserved(string eventName)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        if (s_reserved.Contains(eventName))
        {
            throw new ArgumentException($"\"{eventName}\" is a reserved event name", nameof(eventName));
        }
    }

    /// <summary>
    /// The namespace accepted the socket: it joins its own room and the client gets CONNECT. False when the client
    /// went away meanwhile (the caller then cleans up).
    /// </summary>
    internal bool OnConnect()
    {
        if (Interlocked.CompareExchange(ref _connected, 1, 0) != 0)
        {
            return false;
        }

        Join(Id);
        object? payload = Client.Session.Protocol == 3 ? null : new ConnectPayload(Id, Pid);
        Client.Send(PacketWriter.Control(SocketPacketType.Connect, Namespace.Name, payload, Namespace.Server.JsonOptions));
        return true;
    }

    /// <summary>After a recovery, the events the client missed while away.</summary>
    internal void FlushMissedPackets()
    {
        var missed = Interlocked.Exchange(ref _missedPackets, null);
        if (missed is null)
        {
            return;
        }

        foreach (var messages in missed)
        {
            Client.Write(messages, volatileFlag: false);
        }
    }

    /// <summary>The socket is done: <c>disconnecting</c>, session kept for recovery, rooms left, <c>disconnect</c>.</summary>
    internal void OnClose(string reason)
    {
        var previous = Interlocked.Exchange(ref _connected, 2);
        if (previous == 2)
        {
            return;
        }

        if (previous == 0)
        {
            // Closed before it ever connected (its client left during middleware): no events, just cleanup.
            CleanupState();
            return;
        }

        RaiseDisconnecting(reason);
        var recovery = Namespace.Server.Options.ConnectionStateRecovery;
        if (recovery is not null && Pid is not null && DisconnectReasons.IsRecoverable(reason))
        {
            var rooms = Rooms;
            _adapter.PersistSession(new PersistedSession(Id, Pid, rooms, Data, Namespace.Server.Options.TimeProvider.GetUtcNow()));
        }

        CleanupState();
        FailPendingAcks(reason);
        RaiseDisconnected(reason);
    }

    /// <summary>
    /// A socket that never connected (refused, or its client left meanwhile): it leaves the rooms a recovery gave it,
    /// and everything that may have listed it.
    /// </summary>
    internal void Cleanup()
    {
        if (Interlocked.CompareExchange(ref _connected, 2, 0) == 0)
        {
            CleanupState();
        }
    }

    private void CleanupState()
    {
        _adapter.DelAll(Id);
        Client.Remove(this);
        Namespace.Remove(this);
    }

    private BroadcastOperator NewOperator() =>
        new(_adapter, new BroadcastOptions { Except = new HashSet<string>(StringComparer.Ordinal) { Id } });

    /// <summary>The auth of a CONNECT without payload: one shared empty object (a JsonElement is immutable).</summary>
    private static readonly JsonElement s_emptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private static JsonElement EmptyObject() => s_emptyObject;

    /// <summary>A 20-character URL-safe random id, the shape of socket.io's base64id.</summary>
    internal static string NewId()
    {
        // base64url of 15 random bytes: 20 characters, as base64 with '+' and '/' replaced (engine.io's base64id).
        Span<byte> bytes = stackalloc byte[15];
        FastIo.EngineIO.RandomIdBytes.Fill(bytes);
        return System.Buffers.Text.Base64Url.EncodeToString(bytes);
    }

    /// <summary>The CONNECT reply: <c>{"sid":…}</c>, plus <c>"pid"</c> only with connection state recovery.</summary>
    private sealed record ConnectPayload(
        [property: System.Text.Json.Serialization.JsonPropertyName("sid")] string Sid,
        [property: System.Text.Json.Serialization.JsonPropertyName("pid"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] string? Pid);
}
