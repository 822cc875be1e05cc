using System.Net;
using FastIo.EngineIO;
using FastIo.Transports.Http;
using FastIo.Transports.WebSockets;

namespace FastIo.Transports.Hosting;

/// <summary>Options of a <see cref="FastIoHost"/>.</summary>
public sealed class FastIoHostOptions
{
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

    /// <summary>The listen backlog.</summary>
    public int Backlog { get; set; } = 1024;

    internal IReadOnlyList<IPEndPoint> EffectiveEndpoints() =>
        Endpoints.Count > 0 ? (IReadOnlyList<IPEndPoint>)Endpoints : [new IPEndPoint(IPAddress.IPv6Any, 3000)];
}
