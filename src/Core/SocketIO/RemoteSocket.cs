namespace FastIo.SocketIO;

/// <summary>
/// A socket returned by <c>FetchSocketsAsync</c>: on this node or another one of the cluster. <see cref="Rooms"/> is
/// a snapshot taken when it was fetched; <see cref="Data"/> is a snapshot for a remote socket but the live bag of a
/// local one; its operations act on the live socket wherever it is.
/// </summary>
public class RemoteSocket
{
    private readonly Socket? _local;

    /// <summary>Creates a handle from the parts a cluster adapter received.</summary>
    protected RemoteSocket(string id, SocketHandshake? handshake, IReadOnlySet<string> rooms, IDictionary<string, object?> data)
    {
        Id = id;
        Handshake = handshake;
        Rooms = rooms;
        Data = data;
    }

    private RemoteSocket(Socket local)
        : this(local.Id, local.Handshake, local.Rooms, local.Data)
    {
        _local = local;
    }

    /// <summary>The socket id.</summary>
    public string Id { get; }

    /// <summary>The handshake (null when the remote node did not send one we could read).</summary>
    public SocketHandshake? Handshake { get; }

    /// <summary>The rooms it was in when fetched.</summary>
    public IReadOnlySet<string> Rooms { get; }

    /// <summary>Its data bag when fetched.</summary>
    public IDictionary<string, object?> Data { get; }

    /// <summary>Whether the socket lives on this node.</summary>
    public bool IsLocal => _local is not null;

    internal static RemoteSocket Local(Socket socket) => new(socket);

    /// <summary>Emits an event to this socket.</summary>
    public virtual bool Emit(string eventName, params object?[] args) => _local?.Emit(eventName, args) ?? false;

    /// <summary>Emits an event to this socket and waits for its acknowledgement.</summary>
    public virtual Task<SocketArgs> EmitWithAckAsync(string eventName, object?[] args, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _local?.EmitWithAckAsync(eventName, args, timeout, cancellationToken) ?? throw new InvalidOperationException("The socket is gone");

    /// <summary>Makes the socket join rooms.</summary>
    public virtual void Join(params string[] rooms) => _local?.Join(rooms);

    /// <summary>Makes the socket leave a room.</summary>
    public virtual void Leave(string room) => _local?.Leave(room);

    /// <summary>Disconnects the socket (and its whole connection when <paramref name="close"/>).</summary>
    public virtual void Disconnect(bool close = false) => _local?.Disconnect(close);
}
