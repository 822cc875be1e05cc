namespace FastIo.EngineIO;

/// <summary>Options of an Engine.IO server; the defaults are engine.io 6.6's.</summary>
public sealed class EngineOptions
{
    private int _nodeId;

    /// <summary>
    /// Where the server answers. Null (the default) means <c>/engine.io/</c> for a raw Engine.IO application and
    /// <c>/socket.io/</c> for a Socket.IO server.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>How long after a pong (or the handshake) the server sends the next ping (v4).</summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromMilliseconds(25_000);

    /// <summary>How long the server waits for a pong before it closes the session with "ping timeout".</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromMilliseconds(20_000);

    /// <summary>How long a polling session may take to complete an upgrade once the WebSocket is open.</summary>
    public TimeSpan UpgradeTimeout { get; set; } = TimeSpan.FromMilliseconds(10_000);

    /// <summary>
    /// The largest message or polling body accepted, in bytes (announced to clients as <c>maxPayload</c>);
    /// a larger polling body gets HTTP 413 and a larger WebSocket message close code 1009.
    /// </summary>
    public int MaxHttpBufferSize { get; set; } = 1_000_000;

    /// <summary>
    /// How many packets may wait for a client that is not polling (long-polling between two GETs); beyond it the
    /// session is closed as a slow consumer. WebSockets are bounded by <c>WebSocketOptions.MaxBufferedSendBytes</c>.
    /// </summary>
    public int MaxBufferedPackets { get; set; } = 10_000;

    /// <summary>Enabled transports, in order of preference: <c>polling</c>, <c>websocket</c>.</summary>
    public IList<string> Transports { get; set; } = new List<string> { "polling", "websocket" };

    /// <summary>Whether a polling session may upgrade to WebSocket.</summary>
    public bool AllowUpgrades { get; set; } = true;

    /// <summary>Accept Engine.IO protocol v3 clients (Socket.IO v2 clients). A request without <c>EIO</c> is then taken as v3.</summary>
    public bool AllowEIO3 { get; set; }

    /// <summary>
    /// Decides whether a handshake is accepted. Return <c>null</c> to accept, or a message to refuse the
    /// handshake with code 4 (Forbidden) and HTTP 403.
    /// </summary>
    public Func<EngineRequestInfo, CancellationToken, ValueTask<string?>>? AllowRequest { get; set; }

    /// <summary>Cross-origin settings; <c>null</c> (the default) sends no CORS headers.</summary>
    public CorsOptions? Cors { get; set; }

    /// <summary>The session cookie (off by default) that lets a load balancer stick a client to a node.</summary>
    public SessionCookieOptions? Cookie { get; set; }

    /// <summary>
    /// This node's id in a cluster (0–65535), written into every sid so that a node receiving a request for a session
    /// it does not own can tell which node does. Single-node servers leave it at 0.
    /// </summary>
    public int NodeId
    {
        get => _nodeId;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, EngineSessionId.MaxNode);
            _nodeId = value;
        }
    }

    /// <summary>The clock behind heartbeats and timeouts; tests substitute a fake one.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The granularity of the server's single timer wheel; timeouts fire up to this much late.</summary>
    public TimeSpan TimerResolution { get; set; } = TimeSpan.FromMilliseconds(10);

    internal bool IsTransportEnabled(string name)
    {
        // Indexed: a foreach over the IList boxes its enumerator, one allocation per request.
        var transports = Transports;
        for (var i = 0; i < transports.Count; i++)
        {
            if (string.Equals(transports[i], name, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
