using System.Collections.Concurrent;
using System.Text.Json;
using FastIo.SocketIO.Adapters;
using FastIo.SocketIO.Protocol;
using Microsoft.Extensions.Logging;

namespace FastIo.SocketIO;

/// <summary>
/// A Socket.IO namespace: its sockets, its middleware, its connection handlers, its adapter (rooms), and the
/// broadcast operators that reach its sockets.
/// </summary>
public partial class Namespace
{
    private readonly ConcurrentDictionary<string, Socket> _sockets = new(StringComparer.Ordinal);
    // Copy-on-write: read by every connect without a lock or a copy, replaced on (rare) registration.
    private Func<Socket, CancellationToken, ValueTask>[] _middlewares = [];
    private Action<Socket>[] _connectionHandlers = [];
    private readonly List<Action<ServerSideMessage>> _serverSideHandlers = new();
    private long _ackIds;

    internal Namespace(SocketIOServer server, string name)
    {
        Server = server;
        Name = name;
        Adapter = server.Options.AdapterFactory?.Invoke(this) ?? new Adapter(this);
    }

    /// <summary>The namespace name, e.g. <c>/</c> or <c>/chat</c>.</summary>
    public string Name { get; }

    /// <summary>The server.</summary>
    public SocketIOServer Server { get; }

    /// <summary>The adapter that keeps the rooms and carries broadcasts.</summary>
    public Adapter Adapter { get; }

    private BroadcastOperator? _everyone;

    /// <summary>The connected sockets of this node, by id.</summary>
    public IReadOnlyDictionary<string, Socket> Sockets => _sockets;

    /// <summary>The parent this namespace was created by, for a dynamic namespace.</summary>
    public ParentNamespace? Parent { get; internal set; }

    /// <summary>
    /// Adds middleware that runs for every connecting socket, in order; throwing
    /// <see cref="ConnectionRejectedException"/> (or any exception) refuses the connection with CONNECT_ERROR.
    /// </summary>
    public Namespace Use(Func<Socket, CancellationToken, ValueTask> middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        CopyOnWrite.Append(ref _middlewares, middleware);

        return this;
    }

    /// <summary>Registers a handler for new connections (socket.io's <c>connection</c> event).</summary>
    public Namespace OnConnection(Action<Socket> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        CopyOnWrite.Append(ref _connectionHandlers, handler);

        return this;
    }

    /// <summary>
    /// Registers a handler for events other servers of the cluster send with <see cref="ServerSideEmit"/> (every
    /// event name; <see cref="ServerSideMessage.EventName"/> tells which). A sender that waits for replies
    /// (<see cref="ServerSideEmitWithAckAsync"/>) gets the first <see cref="ServerSideMessage.Ack"/>.
    /// </summary>
    public Namespace OnServerSideEmit(Action<ServerSideMessage> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_serverSideHandlers)
        {
            _serverSideHandlers.Add(handler);
        }

        return this;
    }

    /// <summary>A broadcast to the sockets in <paramref name="rooms"/>.</summary>
    public BroadcastOperator To(params string[] rooms) => NewOperator().To(rooms);

    /// <summary>Same as <see cref="To"/>.</summary>
    public BroadcastOperator In(params string[] rooms) => To(rooms);

    /// <summary>A broadcast to every socket but those in <paramref name="rooms"/>.</summary>
    public BroadcastOperator Except(params string[] rooms) => NewOperator().Except(rooms);

    /// <summary>A volatile broadcast.</summary>
    public BroadcastOperator Volatile => NewOperator().Volatile;

    /// <summary>A broadcast to this node's sockets only.</summary>
    public BroadcastOperator Local => NewOperator().Local;

    /// <summary>A broadcast whose acknowledgements wait at most <paramref name="timeout"/>.</summary>
    public BroadcastOperator Timeout(TimeSpan timeout) => NewOperator().Timeout(timeout);

    /// <summary>Emits an event with one argument (an array stays one argument) to every socket of the namespace.</summary>
    public bool Emit<T>(string eventName, T argument) => NewOperator().Emit(eventName, argument);

    /// <summary>Emits to every socket of the namespace.</summary>
    public virtual bool Emit(string eventName, params object?[] args) => NewOperator().Emit(eventName, args);

    /// <summary>Emits to every socket and gathers their acknowledgements.</summary>
    public Task<SocketArgs[]> EmitWithAckAsync(string eventName, params object?[] args) => NewOperator().EmitWithAckAsync(eventName, args);

    /// <summary>Every socket of the namespace, in the whole cluster.</summary>
    public Task<IReadOnlyList<RemoteSocket>> FetchSocketsAsync(CancellationToken cancellationToken = default) =>
        NewOperator().FetchSocketsAsync(cancellationToken);

    /// <summary>Makes every socket join <paramref name="rooms"/>.</summary>
    public void SocketsJoin(params string[] rooms) => NewOperator().SocketsJoin(rooms);

    /// <summary>Makes every socket leave <paramref name="rooms"/>.</summary>
    public void SocketsLeave(params string[] rooms) => NewOperator().SocketsLeave(rooms);

    /// <summary>Disconnects every socket.</summary>
    public void DisconnectSockets(bool close = false) => NewOperator().DisconnectSockets(close);

    /// <summary>Sends an event to the other servers of the cluster (not to clients).</summary>
    public void ServerSideEmit(string eventName, params object?[] args)
    {
        Socket.ThrowIfReserved(eventName);
        Adapter.ServerSideEmit(eventName, args);
    }

    /// <summary>Sends an event to the other servers and gathers one acknowledgement from each.</summary>
    public Task<SocketArgs[]> ServerSideEmitWithAckAsync(string eventName, object?[] args, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Adapter.ServerSideEmitWithAckAsync(eventName, args, timeout, cancellationToken);

    internal bool TryGetSocket(string id, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Socket? socket) =>
        _sockets.TryGetValue(id, out socket);

    internal long NextAckId() => Interlocked.Increment(ref _ackIds) - 1;

    /// <summary>Delivers an event another server sent with <see cref="ServerSideEmit"/>.</summary>
    internal void DeliverServerSideEmit(ServerSideMessage args)
    {
        Action<ServerSideMessage>[] handlers;
        lock (_serverSideHandlers)
        {
            handlers = _serverSideHandlers.ToArray();
        }

        foreach (var handler in handlers)
        {
            try
            {
                handler(args);
            }
            catch (Exception e)
            {
                Log.HandlerFailed(Server.Logger, e, "server-side " + args.EventName, Name);
            }
        }
    }

    /// <summary>
    /// Connects a client to this namespace: restores a recoverable session or creates a socket, runs the middleware,
    /// and either connects the socket or answers CONNECT_ERROR.
    /// </summary>
    internal async Task AddAsync(SocketIOClient client, JsonElement auth)
    {
        var socket = await CreateSocketAsync(client, auth).ConfigureAwait(false);
        var skip = socket.Recovered && Server.Options.ConnectionStateRecovery?.SkipMiddlewares == true;
        var inherited = Parent?.Middlewares ?? [];
        var middlewares = System.Threading.Volatile.Read(ref _middlewares);
        if (!skip && (inherited.Length > 0 || middlewares.Length > 0))
        {
            try
            {
                await RunMiddlewaresAsync(socket, inherited, middlewares).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                socket.Cleanup();
                Reject(client, e);
                return;
            }
        }

        // Published only to a client that is still open (checked under the client's lock), and connected only if
        // nothing closed it meanwhile: otherwise the socket would linger in the maps forever.
        if (!client.TryAddSocket(socket))
        {
            socket.Cleanup();
            return;
        }

        _sockets[socket.Id] = socket;
        if (!socket.OnConnect())
        {
            _sockets.TryRemove(new KeyValuePair<string, Socket>(socket.Id, socket));
            socket.Cleanup();
            return;
        }

        // Missed packets go before anything the handlers send, so that offsets only move forward on the client.
        socket.FlushMissedPackets();
        // Both lists as they are now, before any handler runs (as socket.io's emit copies its listeners): a handler
        // registered by a handler applies from the next connection on.
        var inheritedHandlers = Parent?.ConnectionHandlers ?? [];
        var handlers = System.Threading.Volatile.Read(ref _connectionHandlers);
        RunConnectionHandlers(socket, inheritedHandlers);
        RunConnectionHandlers(socket, handlers);
    }

    /// <summary>Runs one snapshot of connection handlers; a throwing handler is logged and does not stop the others.</summary>
    private void RunConnectionHandlers(Socket socket, Action<Socket>[] handlers)
    {
        foreach (var handler in handlers)
        {
            try
            {
                handler(socket);
            }
            catch (Exception e)
            {
                Log.HandlerFailed(Server.Logger, e, "connection", Name);
            }
        }
    }

    /// <summary>
    /// Answers a refused connection with CONNECT_ERROR: the message of a <see cref="ConnectionRejectedException"/>
    /// (and its data); any other exception is logged and the client only learns that the server failed, so that
    /// internal details (a database error) never reach it. Socket.IO v2 clients get the bare message.
    /// </summary>
    private void Reject(SocketIOClient client, Exception e)
    {
        if (!client.IsOpen)
        {
            return;
        }

        var rejection = e as ConnectionRejectedException;
        if (rejection is null)
        {
            Log.MiddlewareFailed(Server.Logger, e, Name);
        }
        else
        {
            Log.Rejected(Server.Logger, Name, e.Message);
        }

        var message = rejection?.Message ?? "Server error";
        object payload = client.Session.Protocol == 3
            ? rejection?.ErrorData ?? message
            : new ConnectErrorPayload(message, rejection?.ErrorData);
        client.Send(PacketWriter.Control(SocketPacketType.ConnectError, Name, payload, Server.JsonOptions));
    }

    internal void Remove(Socket socket)
    {
        _sockets.TryRemove(new KeyValuePair<string, Socket>(socket.Id, socket));
        if (Parent is not null && _sockets.IsEmpty && Server.Options.CleanupEmptyChildNamespaces)
        {
            Server.RemoveChild(this); // closes the adapter (once: RemoveChild closes only when it removed the child)
        }
    }

    // A ValueTask: without connection state recovery it completes at once, and a Task<Socket> would be garbage per connect.
    private async ValueTask<Socket> CreateSocketAsync(SocketIOClient client, JsonElement auth)
    {
        if (Server.Options.ConnectionStateRecovery is not null && auth.ValueKind == JsonValueKind.Object &&
            auth.TryGetProperty("pid", out var pid) && pid.ValueKind == JsonValueKind.String &&
            auth.TryGetProperty("offset", out var offset) && offset.ValueKind == JsonValueKind.String)
        {
            RestoredSession? restored = null;
            try
            {
                restored = await Adapter.RestoreSessionAsync(pid.GetString()!, offset.GetString()!, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Log.RestoreFailed(Server.Logger, e, Name);
            }

            if (restored is not null)
            {
                return new Socket(this, client, auth, restored);
            }
        }

        return new Socket(this, client, auth, null);
    }

    /// <summary>The parent's middleware, then this namespace's, in registration order (snapshots taken by the caller).</summary>
    private static async Task RunMiddlewaresAsync(
        Socket socket, Func<Socket, CancellationToken, ValueTask>[] inherited, Func<Socket, CancellationToken, ValueTask>[] middlewares)
    {
        foreach (var middleware in inherited)
        {
            await middleware(socket, CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var middleware in middlewares)
        {
            await middleware(socket, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The operator for every socket of the namespace. Operators and their options are immutable (each modifier
    /// returns a new one), so one instance serves every <c>io.Emit</c> instead of two objects per emit.
    /// </summary>
    private BroadcastOperator NewOperator() => _everyone ??= new(Adapter, new BroadcastOptions());

    /// <summary>The CONNECT_ERROR payload: <c>{"message": …, "data": …}</c> (data omitted when null).</summary>
    private sealed record ConnectErrorPayload(
        [property: System.Text.Json.Serialization.JsonPropertyName("message")] string Message,
        [property: System.Text.Json.Serialization.JsonPropertyName("data"), System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)] object? Data);

    private static partial class Log
    {
        [LoggerMessage(30, LogLevel.Debug, "Connection to {Namespace} refused by middleware: {Message}")]
        public static partial void Rejected(ILogger logger, string @namespace, string message);

        [LoggerMessage(31, LogLevel.Error, "A {Event} handler of {Namespace} threw")]
        public static partial void HandlerFailed(ILogger logger, Exception exception, string @event, string @namespace);

        [LoggerMessage(33, LogLevel.Error, "Middleware of {Namespace} failed; the client is refused")]
        public static partial void MiddlewareFailed(ILogger logger, Exception exception, string @namespace);

        [LoggerMessage(32, LogLevel.Warning, "Restoring a session of {Namespace} failed")]
        public static partial void RestoreFailed(ILogger logger, Exception exception, string @namespace);
    }
}
