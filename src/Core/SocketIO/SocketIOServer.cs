using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.RegularExpressions;
using FastIo.EngineIO;
using FastIo.SocketIO.Protocol;
using FastIo.Timers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastIo.SocketIO;

/// <summary>
/// The Socket.IO server: namespaces (static and dynamic), and on the main namespace <c>/</c> the shortcuts
/// socket.io puts on its server object. It sits on an Engine.IO server as its <see cref="IEngineHandler"/>.
/// </summary>
public sealed partial class SocketIOServer : IEngineHandler, IEngineDefaultPath, IDisposable, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Namespace> _namespaces = new(StringComparer.Ordinal);
    private readonly Lock _namespaceCreation = new();
    private readonly List<ParentNamespace> _parents = new();
    private int _disposed;

    /// <summary>Creates the server with its main namespace.</summary>
    public SocketIOServer(SocketIOServerOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        Options = options ?? new SocketIOServerOptions();
        Logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<SocketIOServer>();
        JsonOptions = new JsonSerializerOptions(Options.JsonSerializerOptions);
        BinaryPlaceholders.Register(JsonOptions);
        Parser = Options.Parser == SocketParser.MsgPack
            ? new SocketIOMsgPackParser(Options.MaxAttachments)
            : new SocketIOJsonParser(Options.MaxAttachments);
        Timers = new TimerWheel(Options.TimeProvider, TimeSpan.FromMilliseconds(50));
        MainNamespace = Of("/");
    }

    /// <summary>The options.</summary>
    public SocketIOServerOptions Options { get; }

    /// <summary>The main namespace <c>/</c>.</summary>
    public Namespace MainNamespace { get; }

    /// <summary>Every namespace created so far, by name.</summary>
    public IReadOnlyDictionary<string, Namespace> Namespaces => _namespaces;

    /// <summary>Socket.IO answers on <c>/socket.io/</c> unless <see cref="EngineOptions.Path"/> says otherwise.</summary>
    public string DefaultPath => "/socket.io/";

    internal ILogger Logger { get; }

    internal JsonSerializerOptions JsonOptions { get; }

    internal ISocketPacketParser Parser { get; }

    /// <summary>
    /// A decoder for one message of a connection that holds none (<see cref="ISocketPacketDecoder.IsIdle"/>): the
    /// calling thread's spare when it is one of this server's parser, else a new one. A connection keeps a decoder only
    /// while a binary packet awaits its attachments, and gives it back (<see cref="ReturnDecoder"/>) as soon as it is
    /// idle again: an idle connection holds none (40 B, S1, bench/RESULTS.md 2026-11-26 "heap"), and the packets that
    /// need one (connects, acks from the client, binary events, every msgpack message) allocate none either.
    /// </summary>
    internal ISocketPacketDecoder RentDecoder() => SpareDecoder.Rent(Parser);

    /// <summary>Keeps an idle decoder as the calling thread's spare.</summary>
    internal void ReturnDecoder(ISocketPacketDecoder decoder) => SpareDecoder.Return(Parser, decoder);

    internal TimerWheel Timers { get; }

    /// <summary>The namespace <paramref name="name"/>, created if needed (a missing leading slash is added).</summary>
    public Namespace Of(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!name.StartsWith('/'))
        {
            name = "/" + name;
        }

        if (_namespaces.TryGetValue(name, out var existing))
        {
            return existing;
        }

        // GetOrAdd may run its factory twice under contention; a second adapter would subscribe (and answer cluster
        // requests) as a ghost server, so creation is serialized.
        lock (_namespaceCreation)
        {
            return _namespaces.GetOrAdd(name, static (n, server) => new Namespace(server, n), this);
        }
    }

    /// <summary>A dynamic namespace matching names with <paramref name="pattern"/>.</summary>
    public ParentNamespace Of(Regex pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        return Of((name, _) => pattern.IsMatch(name));
    }

    /// <summary>A dynamic namespace matching names (and the client's auth payload) with <paramref name="predicate"/>.</summary>
    public ParentNamespace Of(Func<string, JsonElement, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        var parent = new ParentNamespace(predicate);
        lock (_parents)
        {
            _parents.Add(parent);
        }

        return parent;
    }

    /// <summary>Adds middleware to the main namespace.</summary>
    public SocketIOServer Use(Func<Socket, CancellationToken, ValueTask> middleware)
    {
        MainNamespace.Use(middleware);
        return this;
    }

    /// <summary>Registers a connection handler on the main namespace.</summary>
    public SocketIOServer OnConnection(Action<Socket> handler)
    {
        MainNamespace.OnConnection(handler);
        return this;
    }

    /// <summary>A broadcast to rooms of the main namespace.</summary>
    public BroadcastOperator To(params string[] rooms) => MainNamespace.To(rooms);

    /// <summary>Same as <see cref="To"/>.</summary>
    public BroadcastOperator In(params string[] rooms) => MainNamespace.In(rooms);

    /// <summary>A broadcast to the main namespace except rooms.</summary>
    public BroadcastOperator Except(params string[] rooms) => MainNamespace.Except(rooms);

    /// <summary>A volatile broadcast on the main namespace.</summary>
    public BroadcastOperator Volatile => MainNamespace.Volatile;

    /// <summary>A broadcast to this node's sockets of the main namespace.</summary>
    public BroadcastOperator Local => MainNamespace.Local;

    /// <summary>A broadcast of the main namespace whose acknowledgements wait at most <paramref name="timeout"/>.</summary>
    public BroadcastOperator Timeout(TimeSpan timeout) => MainNamespace.Timeout(timeout);

    /// <summary>Emits an event with one argument (an array stays one argument) to every socket of the main namespace.</summary>
    public bool Emit<T>(string eventName, T argument) => MainNamespace.Emit(eventName, argument);

    /// <summary>Emits to every socket of the main namespace.</summary>
    public bool Emit(string eventName, params object?[] args) => MainNamespace.Emit(eventName, args);

    /// <summary>Emits to every socket of the main namespace and gathers their acknowledgements.</summary>
    public Task<SocketArgs[]> EmitWithAckAsync(string eventName, params object?[] args) => MainNamespace.EmitWithAckAsync(eventName, args);

    /// <summary>Every socket of the main namespace.</summary>
    public Task<IReadOnlyList<RemoteSocket>> FetchSocketsAsync(CancellationToken cancellationToken = default) =>
        MainNamespace.FetchSocketsAsync(cancellationToken);

    /// <summary>Makes every socket of the main namespace join rooms.</summary>
    public void SocketsJoin(params string[] rooms) => MainNamespace.SocketsJoin(rooms);

    /// <summary>Makes every socket of the main namespace leave rooms.</summary>
    public void SocketsLeave(params string[] rooms) => MainNamespace.SocketsLeave(rooms);

    /// <summary>Disconnects every socket of the main namespace.</summary>
    public void DisconnectSockets(bool close = false) => MainNamespace.DisconnectSockets(close);

    /// <summary>Sends an event to the other servers of the cluster.</summary>
    public void ServerSideEmit(string eventName, params object?[] args) => MainNamespace.ServerSideEmit(eventName, args);

    void IEngineHandler.OnOpen(EngineSession session)
    {
        var client = new SocketIOClient(this, session);
        session.Items = client;
        if (session.Protocol == 3)
        {
            // Socket.IO v2 clients join the main namespace implicitly.
            client.Connect("/", default);
        }
    }

    void IEngineHandler.OnMessage(EngineSession session, ReadOnlySpan<byte> data, bool isBinary) =>
        ((SocketIOClient)session.Items!).OnMessage(data, isBinary);

    void IEngineHandler.OnClose(EngineSession session, string reason) =>
        (session.Items as SocketIOClient)?.OnClose(reason);

    /// <summary>
    /// Closes the adapter of every namespace (as socket.io's <c>io.close()</c> does: a cluster adapter unsubscribes,
    /// connection state recovery gives back what it kept), then stops the server's timers. Stop the host that serves
    /// this server first; sockets still connected are not disconnected here.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var nsp in _namespaces.Values)
            {
                try
                {
                    await nsp.Adapter.CloseAsync().ConfigureAwait(false);
                }
                catch (Exception e)
                {
                    // One failing adapter (a custom one, or a Redis connection disposed first) must not keep the
                    // others subscribed: this dispose runs once.
                    Log.AdapterCloseFailed(Logger, e, nsp.Name);
                }
            }
        }
        finally
        {
            Timers.Dispose();
        }
    }

    /// <summary>Disposes synchronously (for containers disposed synchronously); prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>
    /// Encodes a packet once into the Engine.IO messages that carry it (shared by every target). The caller owns one
    /// reference to them and gives it back with <see cref="EncodedMessages.Release"/> once it sent them.
    /// </summary>
    internal EncodedMessages Encode(SocketPacket packet)
    {
        if (packet.EncodedMessage is { } pooled && packet.Attachments.Count == 0 && Parser is SocketIOJsonParser)
        {
            // Written for a broadcast into a pooled message: shared as it is, with a reference for the caller.
            pooled.AddRef();
            return new EncodedMessages(pooled);
        }

        if (packet.Attachments.Count == 0 && !packet.EncodedText.IsEmpty && Parser is SocketIOJsonParser)
        {
            // Already in its wire form (PacketWriter wrote the header first): one message, nothing else to build.
            return new EncodedMessages(new EngineMessage(packet.EncodedText, isBinary: false));
        }

        var encoded = Parser.Encode(packet);
        if (encoded.Attachments.Count == 0)
        {
            return new EncodedMessages(new EngineMessage(encoded.First, encoded.FirstIsBinary));
        }

        var messages = new EngineMessage[1 + encoded.Attachments.Count];
        messages[0] = new EngineMessage(encoded.First, encoded.FirstIsBinary);
        for (var i = 0; i < encoded.Attachments.Count; i++)
        {
            messages[i + 1] = new EngineMessage(encoded.Attachments[i], isBinary: true);
        }

        return new EncodedMessages(messages);
    }

    /// <summary>The namespace a client asks for: an existing one, or a new child of a matching dynamic namespace.</summary>
    internal Namespace? FindNamespace(string name, JsonElement auth)
    {
        if (_namespaces.TryGetValue(name, out var existing))
        {
            return existing;
        }

        ParentNamespace[] parents;
        lock (_parents)
        {
            parents = _parents.ToArray();
        }

        foreach (var parent in parents)
        {
            if (parent.Matches(name, auth))
            {
                var child = Of(name);
                parent.AddChild(child);
                return child;
            }
        }

        return null;
    }

    internal void RemoveChild(Namespace child)
    {
        child.Parent?.RemoveChild(child);
        if (_namespaces.TryRemove(new KeyValuePair<string, Namespace>(child.Name, child)))
        {
            // A cluster adapter unsubscribes here, so the removed namespace stops counting as a server.
            _ = child.Adapter.CloseAsync().AsTask();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(34, LogLevel.Error, "Closing the adapter of {Namespace} failed")]
        public static partial void AdapterCloseFailed(ILogger logger, Exception exception, string @namespace);
    }
}
