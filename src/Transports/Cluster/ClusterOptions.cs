using FastIo.Cluster;

namespace FastIo.Transports.Cluster;

/// <summary>
/// Sticky-free multi-node: a request for a session another node owns (the owner's id is in the sid) is forwarded to
/// that node, so a load balancer may spread a client's requests over every node (round-robin). Set
/// <see cref="Hosting.FastIoHostOptions.Cluster"/> to enable it.
/// </summary>
public sealed class ClusterOptions
{
    /// <summary>Creates the options around the directory through which nodes find each other.</summary>
    public ClusterOptions(INodeDirectory directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        Directory = directory;
    }

    /// <summary>
    /// Where nodes register and look each other up; the host joins it in <c>StartAsync</c> and leaves it in
    /// <c>StopAsync</c>. Connections a custom host hands in before <c>StartAsync</c> are served without forwarding.
    /// </summary>
    public INodeDirectory Directory { get; }

    /// <summary>
    /// The <c>host:port</c> peers reach this node at. Null (the default): the first listening endpoint, with
    /// <c>127.0.0.1</c> in place of a wildcard address — right for nodes on one machine only.
    /// </summary>
    public string? AdvertisedAddress { get; set; }

    /// <summary>
    /// The longest a forwarded request may take, answer included. A forwarded long-polling GET waits as long as the
    /// owner holds it (up to <see cref="FastIo.EngineIO.EngineOptions.PingInterval"/>), so this must be longer than that.
    /// </summary>
    public TimeSpan ForwardingTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long opening a connection to a peer may take before the owner counts as unreachable.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The most connections to one peer. Each forwarded long-polling GET holds one while it waits, so this bounds the
    /// clients whose polls can wait at once through this node for that peer; requests beyond it queue.
    /// </summary>
    public int MaxConnectionsPerPeer { get; set; } = 1024;

    /// <summary>The largest response body relayed from a peer (a long-polling payload with many packets); larger fails.</summary>
    public int MaxResponseBytes { get; set; } = 16 * 1024 * 1024;
}
