using FastIo.SocketIO.Protocol;

namespace FastIo.SocketIO.Adapters;

/// <summary>
/// The namespace ↔ adapter seam, with socket.io-adapter's contract: which sockets are in which rooms, and every
/// operation that targets sockets by rooms (broadcast, acknowledged broadcast, fetch, join, leave, disconnect,
/// server-side emit). This class is the in-memory adapter: every operation works on this node's sockets. A cluster
/// adapter derives from it and overrides only what it distributes.
/// </summary>
public partial class Adapter
{
    private readonly Dictionary<string, HashSet<string>> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>> _sids = new(StringComparer.Ordinal);

    /// <summary>Creates the adapter of <paramref name="nsp"/>.</summary>
    public Adapter(Namespace nsp)
    {
        ArgumentNullException.ThrowIfNull(nsp);
        Namespace = nsp;
    }

    /// <summary>The namespace served.</summary>
    public Namespace Namespace { get; }

    /// <summary>Guards the room maps; held only for map updates and snapshots, never while sending.</summary>
    protected Lock SyncRoot { get; } = new();

    /// <summary>A room got its first socket.</summary>
    public event Action<string>? RoomCreated;

    /// <summary>A room lost its last socket.</summary>
    public event Action<string>? RoomDeleted;

    /// <summary>A socket (second argument) joined a room (first argument).</summary>
    public event Action<string, string>? RoomJoined;

    /// <summary>A socket (second argument) left a room (first argument).</summary>
    public event Action<string, string>? RoomLeft;

    /// <summary>The number of servers in the cluster (1 for the in-memory adapter).</summary>
    public virtual ValueTask<int> ServerCountAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(1);

    /// <summary>Starts the adapter (a cluster adapter subscribes here).</summary>
    public virtual ValueTask InitAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <summary>Stops the adapter.</summary>
    public virtual ValueTask CloseAsync() => ValueTask.CompletedTask;

    /// <summary>Adds socket <paramref name="sid"/> to <paramref name="rooms"/>.</summary>
    public virtual void AddAll(string sid, IEnumerable<string> rooms)
    {
        // (room, created) in order, so that events follow socket.io's order: create-room then join-room, per room.
        List<(string Room, bool Created)>? joined = null;
        lock (SyncRoot)
        {
            if (!_sids.TryGetValue(sid, out var socketRooms))
            {
                _sids[sid] = socketRooms = new HashSet<string>(StringComparer.Ordinal);
            }

            foreach (var room in rooms)
            {
                if (!socketRooms.Add(room))
                {
                    continue;
                }

                var created = false;
                if (!_rooms.TryGetValue(room, out var members))
                {
                    _rooms[room] = members = new HashSet<string>(StringComparer.Ordinal);
                    created = true;
                }

                members.Add(sid);
                (joined ??= new()).Add((room, created));
            }
        }

        if (joined is null)
        {
            return;
        }

        foreach (var (room, created) in joined)
        {
            if (created)
            {
                RoomCreated?.Invoke(room);
            }

            RoomJoined?.Invoke(room, sid);
        }
    }

    /// <summary>Removes socket <paramref name="sid"/> from <paramref name="room"/>.</summary>
    public virtual void Del(string sid, string room)
    {
        bool left;
        bool deleted;
        lock (SyncRoot)
        {
            left = _sids.TryGetValue(sid, out var socketRooms) && socketRooms.Remove(room);
            deleted = left && RemoveMember(room, sid);
        }

        // socket.io's order: leave-room, then delete-room when it was the last member.
        if (left)
        {
            RoomLeft?.Invoke(room, sid);
        }

        if (deleted)
        {
            RoomDeleted?.Invoke(room);
        }
    }

    /// <summary>Removes socket <paramref name="sid"/> from every room.</summary>
    public virtual void DelAll(string sid)
    {
        List<(string Room, bool Deleted)> left;
        lock (SyncRoot)
        {
            if (!_sids.Remove(sid, out var socketRooms))
            {
                return;
            }

            left = new List<(string, bool)>(socketRooms.Count);
            foreach (var room in socketRooms)
            {
                left.Add((room, RemoveMember(room, sid)));
            }
        }

        foreach (var (room, deleted) in left)
        {
            RoomLeft?.Invoke(room, sid);
            if (deleted)
            {
                RoomDeleted?.Invoke(room);
            }
        }
    }

    /// <summary>The ids of the sockets in any of <paramref name="rooms"/> (every socket when empty).</summary>
    public virtual IReadOnlySet<string> Sockets(IReadOnlySet<string> rooms)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        lock (SyncRoot)
        {
            if (rooms.Count == 0)
            {
                result.UnionWith(_sids.Keys);
            }
            else
            {
                foreach (var room in rooms)
                {
                    if (_rooms.TryGetValue(room, out var members))
                    {
                        result.UnionWith(members);
                    }
                }
            }
        }

        return result;
    }

    /// <summary>The rooms of socket <paramref name="sid"/> (a snapshot), or null if it is unknown.</summary>
    public virtual IReadOnlySet<string>? SocketRooms(string sid)
    {
        lock (SyncRoot)
        {
            return _sids.TryGetValue(sid, out var rooms) ? new HashSet<string>(rooms, StringComparer.Ordinal) : null;
        }
    }

    /// <summary>Every room that has at least one socket on this node.</summary>
    public virtual IReadOnlySet<string> Rooms()
    {
        lock (SyncRoot)
        {
            return new HashSet<string>(_rooms.Keys, StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// Every room of the namespace in the whole cluster (socket.io-adapter's <c>allRooms</c>); in memory, the
    /// rooms of this node.
    /// </summary>
    public virtual Task<IReadOnlySet<string>> AllRoomsAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(Rooms());

    /// <summary>Whether <paramref name="room"/> has a socket on this node (no snapshot: cluster adapters ask per message).</summary>
    protected internal bool HasRoom(string room)
    {
        lock (SyncRoot)
        {
            return _rooms.ContainsKey(room);
        }
    }

    /// <summary>The local sockets an operation with <paramref name="options"/> targets.</summary>
    internal List<Socket> TargetSockets(BroadcastOptions options)
    {
        var targets = new List<Socket>();
        CollectTargets(options, targets);
        return targets;
    }

    /// <summary>Adds the sockets <paramref name="options"/> selects to <paramref name="targets"/> (a snapshot, taken under the lock).</summary>
    internal void CollectTargets(BroadcastOptions options, List<Socket> targets)
    {
        lock (SyncRoot)
        {
            if (options.Rooms.Count == 0)
            {
                foreach (var (sid, rooms) in _sids)
                {
                    AddTarget(sid, rooms, options, targets);
                }
            }
            else
            {
                var seen = new HashSet<string>(StringComparer.Ordinal);
                foreach (var room in options.Rooms)
                {
                    if (!_rooms.TryGetValue(room, out var members))
                    {
                        continue;
                    }

                    foreach (var sid in members)
                    {
                        if (seen.Add(sid))
                        {
                            AddTarget(sid, _sids[sid], options, targets);
                        }
                    }
                }
            }
        }
    }

    private void AddTarget(string sid, HashSet<string> rooms, BroadcastOptions options, List<Socket> targets)
    {
        if (options.Except.Count > 0 && rooms.Overlaps(options.Except))
        {
            return;
        }

        if (Namespace.TryGetSocket(sid, out var socket))
        {
            targets.Add(socket);
        }
    }

    private bool RemoveMember(string room, string sid)
    {
        if (_rooms.TryGetValue(room, out var members) && members.Remove(sid) && members.Count == 0)
        {
            _rooms.Remove(room);
            return true;
        }

        return false;
    }
}
