using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastIo.EngineIO;
using FastIo.Transports.Cluster;
using FastIo.Transports.Hosting.Epoll;
using FastIo.Transports.EngineIO;
using FastIo.Transports.Http;
using FastIo.Transports.Sharding;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastIo.Transports.Hosting;

/// <summary>
/// Serves an Engine.IO application over HTTP/1.1 and WebSocket on sockets it listens on itself, or on
/// connections a custom host accepted and hands in (<see cref="ProcessConnectionAsync(IDuplexPipe, EndPoint?, CancellationToken)"/>).
/// </summary>
public sealed partial class FastIoHost : IAsyncDisposable, IDisposable
{
    /// <summary>
    /// The options of each accepted socket's input (<see cref="SocketInput"/>: pool, block size and thresholds, shared;
    /// the reader scheduler is the connection's own, following its session's shard:
    /// <see cref="SocketConnectionListener.Wrap(Socket, PipeOptions)"/>). Neither side is a pipe: the
    /// output: it sends on the application's flush, on the flushing thread (<see cref="SocketOutput"/>).
    /// </summary>
    private static readonly PipeOptions s_socketInput = new(useSynchronizationContext: false);

    private readonly FastIoHostOptions _options;
    private readonly HttpRouter _router;
    private readonly ShardSet _shards;
    private readonly ILoggerFactory _loggerFactory;
    private readonly List<EngineServer> _engines = new();
    private readonly ILogger _logger;
    private readonly List<IConnectionListener> _listeners = new();
    private readonly List<Task> _acceptLoops = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly NodeForwarder? _forwarder;
    private int _openConnections; // served and not yet closed (StopAsync waits for none to be left)
    private TaskCompletionSource? _allClosed; // set by StopAsync; completed when _openConnections reaches 0
    private int _maxConnections = int.MaxValue; // set at start (FastIoHostOptions.MaxConnections)
    private TaskCompletionSource? _connectionClosed; // an accept loop waits on it at the limit
    private int _state; // 0 new, 1 started, 2 stopped

    /// <summary>Creates a host that hands sessions to <paramref name="handler"/>.</summary>
    public FastIoHost(FastIoHostOptions options, IEngineHandler handler, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        _options = options;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<FastIoHost>();

        // One limit for a message, whichever way it comes: engine.io hands maxHttpBufferSize to ws as maxPayload.
        options.Http.MaxRequestBodyBytes = options.Engine.MaxHttpBufferSize;
        options.WebSocket.MaxMessageBytes = options.Engine.MaxHttpBufferSize;
        _loggerFactory = loggerFactory;
        _router = new HttpRouter(options.HealthPath);
        _shards = new ShardSet(options.EffectiveShards, loggerFactory.CreateLogger<ShardSet>());
        if (options.Cluster is { } cluster)
        {
            if (cluster.ForwardingTimeout <= options.Engine.PingInterval)
            {
                throw new ArgumentException("Cluster.ForwardingTimeout must exceed Engine.PingInterval: a forwarded long-polling GET waits that long.", nameof(options));
            }

            _forwarder = new NodeForwarder(cluster, options.Http, loggerFactory.CreateLogger<NodeForwarder>(), _shutdown.Token);
        }

        Engine = Map(options.Engine, handler);
    }

    /// <summary>The Engine.IO server of the handler given to the constructor.</summary>
    public EngineServer Engine { get; }

    /// <summary>
    /// Serves another application on another path of the same listeners (e.g. raw Engine.IO beside Socket.IO).
    /// Call before <see cref="StartAsync"/>.
    /// </summary>
    public EngineServer Map(EngineOptions engineOptions, IEngineHandler handler)
    {
        ArgumentNullException.ThrowIfNull(engineOptions);
        ArgumentNullException.ThrowIfNull(handler);
        if (Volatile.Read(ref _state) != 0)
        {
            throw new InvalidOperationException("Map applications before starting the host.");
        }

        var engine = new EngineServer(engineOptions, handler, _loggerFactory.CreateLogger<EngineServer>());
        _engines.Add(engine);
        _router.Add(new EngineHttpApplication(engine, _shards, _options.WebSocket, _forwarder, _loggerFactory.CreateLogger<EngineHttpApplication>()));
        return engine;
    }

    /// <summary>The number of shards sessions are spread over (see <see cref="FastIoHostOptions.Shards"/>).</summary>
    public int ShardCount => _shards.Count;

    /// <summary>The addresses actually bound (real ports when 0 was asked for); empty before <see cref="StartAsync"/>.</summary>
    public IReadOnlyList<EndPoint> ListeningEndpoints
    {
        get
        {
            var endpoints = new List<EndPoint>(_listeners.Count);
            foreach (var listener in _listeners)
            {
                endpoints.Add(listener.EndPoint);
            }

            return endpoints;
        }
    }

    /// <summary>
    /// Binds every endpoint, joins the cluster's node directory when <see cref="FastIoHostOptions.Cluster"/> is set,
    /// and starts accepting.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.CompareExchange(ref _state, 1, 0) != 0)
        {
            throw new InvalidOperationException("The host was already started.");
        }

        try
        {
            foreach (var endPoint in _options.EffectiveEndpoints())
            {
                IConnectionListener listener = _options.UsesEpoll
                    ? EpollConnectionListener.Bind(endPoint, _options.Backlog, s_socketInput, _options.DeferAccept)
                    : SocketConnectionListener.Bind(endPoint, _options.Backlog, s_socketInput, _options.DeferAccept);
                _listeners.Add(listener);
                Log.Listening(_logger, listener.EndPoint.ToString() ?? "");
            }

            if (_options.Cluster is { } cluster)
            {
                await JoinClusterAsync(cluster, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            foreach (var listener in _listeners)
            {
                await listener.DisposeAsync().ConfigureAwait(false);
            }

            _listeners.Clear();
            throw;
        }

        if (_options.UsesEpoll)
        {
            EpollLoop.HandlerFailed += OnEpollHandlerFailed;
        }

        _maxConnections = _options.MaxConnections ?? DescriptorLimit.DefaultMaxConnections() ?? int.MaxValue;

        foreach (var listener in _listeners)
        {
            _acceptLoops.Add(AcceptLoopAsync(listener));
        }
    }

    /// <summary>
    /// Stops accepting, closes every session with its close packet, waits up to
    /// <see cref="FastIoHostOptions.ShutdownTimeout"/> (or <paramref name="cancellationToken"/>) and then cuts
    /// the connections that are left.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _state, 2) == 2)
        {
            return;
        }

        foreach (var listener in _listeners)
        {
            await listener.DisposeAsync().ConfigureAwait(false);
        }

        Interlocked.Exchange(ref _connectionClosed, null)?.TrySetResult(); // an accept loop waiting at MaxConnections
        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.ShutdownTimeout);
        var closing = new List<Task>(_engines.Count);
        foreach (var engine in _engines)
        {
            closing.Add(engine.CloseAllAsync(timeout.Token));
        }

        await Task.WhenAll(closing).ConfigureAwait(false);
        if (_options.Cluster is { } cluster)
        {
            // Only now: the close packets of this node's polling sessions may still have to travel through peers.
            // A budget of its own: closing the sessions may have used up the shutdown timeout already.
            using var leaving = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            leaving.CancelAfter(_options.ShutdownTimeout);
            await LeaveClusterAsync(cluster, leaving.Token).ConfigureAwait(false);
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        _forwarder?.CancelPending();
        var allClosed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // A full fence between publishing the signal and reading the count (Interlocked, not Volatile.Write): with a
        // release store the read may pass the store (x86 store buffer, ARM), and the last connection's EndAsync, which
        // decrements (a full fence) and then reads _allClosed, may see no signal while this read still sees it open:
        // nobody completes the signal and StopAsync waits out ShutdownTimeout ("cut 0 connections").
        Interlocked.Exchange(ref _allClosed, allClosed);
        if (Volatile.Read(ref _openConnections) == 0)
        {
            allClosed.TrySetResult(); // re-checked after publishing: the last connection may have ended before it
        }

        try
        {
            await allClosed.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Log.ConnectionsCut(_logger, Volatile.Read(ref _openConnections));
        }

        foreach (var engine in _engines)
        {
            engine.Dispose();
        }

        _forwarder?.Dispose();
        EpollLoop.HandlerFailed -= OnEpollHandlerFailed;
    }

    /// <summary>A bug in a socket event handler of the (process-wide) epoll loops: logged by every running host.</summary>
    private void OnEpollHandlerFailed(Exception exception) => Log.SocketHandlerFailed(_logger, exception);

    /// <summary>Serves one connection a custom host accepted, as a duplex pipe, until it closes.</summary>
    public Task ProcessConnectionAsync(IDuplexPipe transport, EndPoint? remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transport);
        return Serve(new PipeAcceptedConnection(transport, remoteEndPoint, null), cancellationToken);
    }

    /// <summary>Serves one accepted socket until it closes; the host disposes it.</summary>
    public Task ProcessConnectionAsync(Socket socket, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(socket);
        return Serve(SocketConnectionListener.Wrap(socket, s_socketInput), cancellationToken);
    }

    /// <summary>Serves one connection given as a stream (e.g. a TLS stream); the host disposes it.</summary>
    public Task ProcessConnectionAsync(Stream stream, EndPoint? remoteEndPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var pipe = new StreamDuplexPipe(stream);
        return Serve(new PipeAcceptedConnection(pipe, remoteEndPoint, pipe), cancellationToken);
    }

    /// <summary>Stops the host synchronously (for containers disposed synchronously); prefer <see cref="DisposeAsync"/>.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _shutdown.Dispose();
    }

    private async Task JoinClusterAsync(ClusterOptions cluster, CancellationToken cancellationToken)
    {
        var address = cluster.AdvertisedAddress ?? NodeAddress.ForListener((IPEndPoint)_listeners[0].EndPoint);
        await cluster.Directory.JoinAsync(address, cancellationToken).ConfigureAwait(false);
        foreach (var engine in _engines)
        {
            // Before the first request: every sid this node creates names it.
            engine.Options.NodeId = cluster.Directory.NodeId;
        }

        _forwarder!.OnJoined();
        Log.JoinedCluster(_logger, cluster.Directory.NodeId, address);
    }

    private async Task LeaveClusterAsync(ClusterOptions cluster, CancellationToken cancellationToken)
    {
        try
        {
            await cluster.Directory.LeaveAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            // Not fatal: a directory entry that is not removed expires.
            Log.LeaveFailed(_logger, e);
        }
    }

    private async Task AcceptLoopAsync(IConnectionListener listener)
    {
        await Task.Yield();
        while (true)
        {
            if (!await WaitForConnectionSlotAsync().ConfigureAwait(false))
            {
                return; // shutting down
            }

            var connection = await listener.AcceptAsync(_shutdown.Token).ConfigureAwait(false);
            if (connection is null)
            {
                return;
            }

            if (!listener.AcceptsInline)
            {
                _ = Serve(connection, CancellationToken.None, untilClosed: false);
                continue;
            }

            // With inline socket processing (the epoll engine, or the runtime's with inline completions), accepts
            // complete on a socket thread, which processes every later request of its connections in place anyway: the
            // new connection's first request (often received by the time it is accepted) is handled here too, up to
            // its first wait, entering its shard in place, instead of a thread-pool hop for the connection and a
            // worker woken per connect. S2, pinned, alternating on one build
            // (bench/RESULTS.md 2026-11-26): 53-60 -> 40-43 µs of server CPU per WebSocket connect, S1 unchanged (the
            // 8.7 KB blamed on this on 2026-11-25 was the GC compacting in that run, see the "s1" section).
            ShardScheduler.BeginInlineEntry();
            try
            {
                _ = Serve(connection, CancellationToken.None, yieldFirst: false, untilClosed: false);
            }
            finally
            {
                ShardScheduler.EndInlineEntry();
            }
        }
    }

    /// <summary>
    /// Waits while the host holds <see cref="FastIoHostOptions.MaxConnections"/> connections: the listener then does not
    /// accept, and new connections wait in its backlog. False once the host is shutting down.
    /// </summary>
    private async ValueTask<bool> WaitForConnectionSlotAsync()
    {
        while (Volatile.Read(ref _openConnections) >= _maxConnections)
        {
            var closed = Volatile.Read(ref _connectionClosed);
            if (closed is null)
            {
                var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                closed = Interlocked.CompareExchange(ref _connectionClosed, created, null) ?? created;
            }

            // Re-checked after publishing the signal: a connection that ended in between, or StopAsync, saw no signal
            // to complete.
            if (Volatile.Read(ref _openConnections) < _maxConnections)
            {
                break;
            }

            if (Volatile.Read(ref _state) == 2)
            {
                return false;
            }

            Log.ConnectionLimitReached(_logger, _maxConnections);
            try
            {
                await closed.Task.WaitAsync(_shutdown.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }

        return !_shutdown.IsCancellationRequested;
    }

    /// <summary>
    /// Serves <paramref name="connection"/>, counted in <see cref="_openConnections"/> until it is closed (for StopAsync
    /// and <see cref="FastIoHostOptions.MaxConnections"/>). <paramref name="yieldFirst"/> false runs it on the caller's
    /// stack up to its first wait (the inline accept loop). <paramref name="untilClosed"/> false (the accept loops, which
    /// drop the task) lets the task end when a WebSocket takes the connection over, and the WebSocket's end close it.
    /// </summary>
    private Task Serve(AcceptedConnection connection, CancellationToken cancellationToken, bool yieldFirst = true, bool untilClosed = true)
    {
        Interlocked.Increment(ref _openConnections);
        return ServeAsync(connection, yieldFirst, untilClosed, cancellationToken);
    }

    private async Task ServeAsync(AcceptedConnection connection, bool yieldFirst, bool untilClosed, CancellationToken cancellationToken)
    {
        try
        {
            if (yieldFirst)
            {
                await Task.Yield(); // never run a connection on the caller's stack (the accept loop's, or a custom host's)
            }

            IUpgradedProtocol? protocol;

            // A linked source only when there is something to link: the accept loop's connections listen to shutdown alone.
            using (var linked = cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(_shutdown.Token, cancellationToken) : null)
            {
                protocol = await HttpConnection.RunAsync(connection.Transport, connection.RemoteEndPoint, _router, _options.Http, _logger, connection.Scheduler, linked?.Token ?? _shutdown.Token).ConfigureAwait(false);
            }

            // An upgraded connection handed off to its protocol (a WebSocket), which lives for hours: nothing of this
            // frame is needed meanwhile, so it ends here and the protocol's end (IUpgradedProtocol.OnEnded) closes the
            // connection. Shutdown reaches the protocol through its session (StopAsync closes every session). A custom
            // host's task must last until the close, so that one waits.
            if (protocol is not null)
            {
                if (!untilClosed)
                {
                    connection.EndWhenEnded(protocol, this);
                    return;
                }

                var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                protocol.OnEnded(static state => ((TaskCompletionSource)state!).SetResult(), ended);
                await ended.Task.ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            Log.ConnectionFailed(_logger, e);
        }

        await EndAsync(connection).ConfigureAwait(false);
    }

    /// <summary>A handed-off protocol ended (<see cref="AcceptedConnection.EndWhenEnded"/>): close its connection.</summary>
    internal void OnProtocolEnded(AcceptedConnection connection) => _ = EndAsync(connection);

    /// <summary>Closes a served connection and stops counting it.</summary>
    private async Task EndAsync(AcceptedConnection connection)
    {
        try
        {
            await connection.CloseAsync().ConfigureAwait(false);
        }
        finally
        {
            var open = Interlocked.Decrement(ref _openConnections);

            // Only an accept loop at the limit publishes a signal: no interlocked exchange per close otherwise.
            if (open < _maxConnections && Volatile.Read(ref _connectionClosed) is not null)
            {
                Interlocked.Exchange(ref _connectionClosed, null)?.TrySetResult();
            }

            if (open == 0)
            {
                Volatile.Read(ref _allClosed)?.TrySetResult(); // StopAsync waits for the last one
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(20, LogLevel.Information, "Listening on {EndPoint}")]
        public static partial void Listening(ILogger logger, string endPoint);

        [LoggerMessage(21, LogLevel.Warning, "Connection failed")]
        public static partial void ConnectionFailed(ILogger logger, Exception exception);

        [LoggerMessage(22, LogLevel.Information, "Shutdown timeout: cut {Count} connections")]
        public static partial void ConnectionsCut(ILogger logger, int count);

        [LoggerMessage(23, LogLevel.Information, "Joined the cluster as node {NodeId}, reachable by peers at {Address}")]
        public static partial void JoinedCluster(ILogger logger, int nodeId, string address);

        [LoggerMessage(24, LogLevel.Warning, "Leaving the cluster's node directory failed")]
        public static partial void LeaveFailed(ILogger logger, Exception exception);

        [LoggerMessage(26, LogLevel.Warning, "Holding {Max} connections (MaxConnections): new connections wait in the listen backlog until one closes")]
        public static partial void ConnectionLimitReached(ILogger logger, int max);

        [LoggerMessage(25, LogLevel.Error, "A socket event handler failed; its loop goes on")]
        public static partial void SocketHandlerFailed(ILogger logger, Exception exception);
    }
}
