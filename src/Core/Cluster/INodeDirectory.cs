namespace FastIo.Cluster;

/// <summary>
/// Who is who in a cluster of nodes that forward requests to each other (sticky-free multi-node): this node's id, the
/// internal address of every other node, and the key that signs node-to-node requests. The transports layer uses it to
/// send a request for a session another node owns (its id is in the sid, see <see cref="EngineIO.EngineSessionId"/>)
/// to that node; an implementation backed by a shared store (e.g. Redis) lives beside the adapter that uses the store.
/// </summary>
/// <remarks>
/// Lifecycle: the host calls <see cref="JoinAsync"/> once its listeners are bound and before it accepts a request, and
/// <see cref="LeaveAsync"/> when it stops. A node that crashes must drop out by itself (e.g. an entry that expires), so
/// that requests for its sessions are answered "Session ID unknown" and their clients reconnect elsewhere.
/// </remarks>
public interface INodeDirectory
{
    /// <summary>This node's id (0–65535), written into every sid it creates; valid once <see cref="JoinAsync"/> completed.</summary>
    int NodeId { get; }

    /// <summary>
    /// The key peers sign forwarded requests with, shared by every node of the cluster; valid once
    /// <see cref="JoinAsync"/> completed. A request that claims to come from a peer is trusted (for the client address it
    /// carries) only when its signature verifies with this key.
    /// </summary>
    ReadOnlyMemory<byte> ClusterKey { get; }

    /// <summary>
    /// Registers this node under a node id no other live node holds, reachable by its peers at
    /// <paramref name="advertisedAddress"/> (<c>host:port</c>), and keeps the registration alive until
    /// <see cref="LeaveAsync"/>.
    /// </summary>
    ValueTask JoinAsync(string advertisedAddress, CancellationToken cancellationToken);

    /// <summary>
    /// The <c>host:port</c> node <paramref name="nodeId"/> is reachable at, or null when no live node holds that id.
    /// Called per forwarded request: implementations answer from a short-lived cache.
    /// </summary>
    ValueTask<string?> ResolveAsync(int nodeId, CancellationToken cancellationToken);

    /// <summary>Removes this node's registration, so its peers stop forwarding to it.</summary>
    ValueTask LeaveAsync(CancellationToken cancellationToken);
}
