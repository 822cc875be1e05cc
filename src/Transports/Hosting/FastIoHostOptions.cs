using System.Net;
using FastIo.EngineIO;
using FastIo.Transports.Cluster;
using FastIo.Transports.Http;
using FastIo.Transports.WebSockets;

namespace FastIo.Transports.Hosting;

/// <summary>Options of a <see cref="FastIoHost"/>.</summary>
public sealed class FastIoHostOptions
{
    private int? _shards;
    private int? _maxConnections;

    /// <summary>Where to listen. Default: port 3000 on every address, IPv6 and IPv4 (dual-stack).</summary>
    public IList<IPEndPoint> Endpoints { get; } = new List<IPEndPoint>();

    /// <summary>The Engine.IO protocol options. <see cref="EngineOptions.MaxHttpBufferSize"/> also bounds HTTP bodies and WebSocket messages.</summary>
    public EngineOptions Engine { get; set; } = new();

    /// <summary>HTTP/1.1 limits and timeouts.</summary>
    public HttpServerOptions Http { get; set; } = new();

    /// <summary>WebSocket limits and timeouts.</summary>
    public WebSocketOptions WebSocket { get; set; } = new();

    /// <summary>A path answered <c>200 ok</c> to GET and HEAD, for load-balancer health checks; null disables it.</summary>
    public string? HealthPath { get; set; } = "/health";

    /// <summary>How long <see cref="FastIoHost.StopAsync"/> lets sessions take their close packets before cutting connections.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How many shards sessions are spread over; null (the default) means one per core. A shard runs the work of its
    /// sessions — request and frame processing, handlers, sends — one item at a time on its own scheduler, so a
    /// handler that blocks stalls the other sessions of its shard: offload blocking work (e.g. <c>Task.Run</c>).
    /// </summary>
    public int? Shards
    {
        get => _shards;
        set
        {
            if (value is { } count)
            {
                ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
                ArgumentOutOfRangeException.ThrowIfGreaterThan(count, EngineSessionId.MaxShard + 1);
            }

            _shards = value;
        }
    }

    /// <summary>
    /// Sticky-free multi-node (off by default): requests for sessions of other nodes are forwarded to their owner, so a
    /// load balancer needs no stickiness. The host joins <see cref="ClusterOptions.Directory"/> when it starts and sets
    /// every engine's <see cref="EngineOptions.NodeId"/> to the id it got.
    /// </summary>
    public ClusterOptions? Cluster { get; set; }

    /// <summary>
    /// What drives the sockets the host listens on. <see cref="Hosting.SocketEngine.Auto"/> (the default) is FastIo's
    /// epoll engine on Linux (x86-64, arm64) and the runtime's sockets elsewhere. With either engine a connection's
    /// requests and frames are processed on the socket thread that received them, as their shard's batch when the
    /// shard is idle: a handler that blocks holds up that thread's other connections too (see <see cref="Shards"/>).
    /// Connections a custom host hands in (<see cref="FastIoHost.ProcessConnectionAsync(System.Net.Sockets.Socket, CancellationToken)"/>)
    /// keep the runtime's sockets.
    /// </summary>
    public SocketEngine SocketEngine { get; set; } = SocketEngine.Auto;

    /// <summary>
    /// How many connections the host's listeners hold open at once; at the limit they stop accepting (new connections
    /// wait in the listen backlog) until one closes. Null (the default) derives it from the process's open-files limit:
    /// that limit minus the descriptors open at start and a headroom of 1/32 of it (at least 64), since a process out of
    /// descriptors cannot start a thread and the runtime aborts it; unlimited where the limit cannot be read.
    /// Connections handed in by a custom host are counted but never refused.
    /// </summary>
    public int? MaxConnections
    {
        get => _maxConnections;
        set
        {
            if (value is { } count)
            {
                ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
            }

            _maxConnections = value;
        }
    }

    /// <summary>The listen backlog.</summary>
    public int Backlog { get; set; } = 1024;

    /// <summary>
    /// On Linux, how long the kernel may keep a new connection to itself until its client's first bytes arrive
    /// (TCP_DEFER_ACCEPT, in whole seconds, rounded up to the kernel's SYN-ACK retransmissions): the host is then woken
    /// once per connect, with the request already there, instead of once for the handshake and again for the request
    /// (bench/RESULTS.md, "connect": 0.5 instead of 1.1 context switches per WebSocket connect, -12 % server CPU). Every
    /// client of this server speaks first (HTTP), so only a silent one waits, this long, before the host sees it.
    /// Zero turns it off. Default: 1 second.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Negative (including <see cref="Timeout.InfiniteTimeSpan"/>), or more than 30 s
    /// (a silent client holds a slot of the kernel's SYN queue that long).</exception>
    public TimeSpan DeferAccept
    {
        get => _deferAccept;
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, TimeSpan.FromSeconds(30));
            _deferAccept = value;
        }
    }

    private TimeSpan _deferAccept = TimeSpan.FromSeconds(1);

    /// <summary>Whether the listeners use the epoll engine (<see cref="SocketEngine"/>).</summary>
    /// <exception cref="PlatformNotSupportedException"><see cref="Hosting.SocketEngine.Epoll"/> was asked for where it cannot run.</exception>
    internal bool UsesEpoll => SocketEngine switch
    {
        SocketEngine.Managed => false,
        SocketEngine.Epoll when !Epoll.EpollLoops.IsSupported => throw new PlatformNotSupportedException("The epoll socket engine needs Linux on x86-64 or arm64."),
        SocketEngine.Epoll => true,
        _ => Epoll.EpollLoops.IsSupported,
    };

    internal int EffectiveShards => _shards ?? Math.Min(Environment.ProcessorCount, EngineSessionId.MaxShard + 1);

    internal IReadOnlyList<IPEndPoint> EffectiveEndpoints() =>
        Endpoints.Count > 0 ? (IReadOnlyList<IPEndPoint>)Endpoints : [new IPEndPoint(IPAddress.IPv6Any, 3000)];
}
