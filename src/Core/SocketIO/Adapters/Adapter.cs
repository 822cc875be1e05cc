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
    // Every socket joins the room named after its id, and most stay in that room alone. Storing that membership as
    // two one-element sets per socket (one here, one in _rooms) cost ~300 B per idle connection, so it is implied:
    // a socket whose _sids value is null is in exactly its own room; a socket's own-room membership is never stored
    // in _rooms (only other sockets that joined a room named after an id are). A set is made only for a socket that
    // joins another room or leaves its own, and dropped again when it is back to its own room alone.
    private readonly Dictionary<string, HashSet<string>> _rooms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, HashSet<string>?> _sids = new(StringComparer.Ordinal);

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

    /// <summary>
    /// Stops the adapter: the connection state recovery store gives back the sessions and packets it kept. A cluster
    /// adapter also unsubscribes, and calls this base last.
    /// </summary>
    public virtual ValueTask CloseAsync()
    {
        ClearRecoveryStore();
        return ValueTask.CompletedTask;
    }

    /// <summary>Adds socket <paramref name="sid"/> to <paramref name="rooms"/>.</summary>
    public virtual void AddAll(string sid, IEnumerable<string> rooms)
    {
        // (room, created) in order, so that events follow socket.io's order: create-room then join-room, per room;
        // collected only when someone listens (a socket's first join is once per connect). Whether anyone listens is
        // read under the lock, so that a listener that subscribes and then reads Rooms() misses no event after it.
        List<(string Room, bool Created)>? joined = null;
        lock (SyncRoot)
        {
            var notify = RoomCreated is not null || RoomJoined is not null;
            var known = _sids.TryGetValue(sid, out var socketRooms);
            foreach (var room in rooms)
            {
                bool created;
                if (string.Equals(room, sid, StringComparison.Ordinal))
                {
                    if (known && (socketRooms is null || socketRooms.Contains(sid)))
                    {
                        continue;
                    }

                    // Other sockets may have joined a room named after this id already.
                    created = !_rooms.ContainsKey(room);
                    if (known)
                    {
                        socketRooms!.Add(sid);
                    }
                    else
                    {
                        _sids[sid] = null;
                        known = true;
                    }
                }
                else
                {
                    if (socketRooms is null)
                    {
                        socketRooms = new HashSet<string>(StringComparer.Ordinal);
                        if (known)
                        {
                            socketRooms.Add(sid);
                        }

                        _sids[sid] = socketRooms;
                        known = true;
                    }

                    if (!socketRooms.Add(room))
                    {
                        continue;
                    }

                    created = false;
                    if (!_rooms.TryGetValue(room, out var members))
                    {
                        _rooms[room] = members = new HashSet<string>(StringComparer.Ordinal);
                        created = !IsInOwnRoom(room);
                    }

                    members.Add(sid);
                }

                if (notify)
                {
                    (joined ??= new()).Add((room, created));
                }
            }

            if (!known)
            {
                // Known with no room at all, as before any join.
                _sids[sid] = new HashSet<string>(StringComparer.Ordinal);
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
            if (!_sids.TryGetValue(sid, out var socketRooms))
            {
                left = deleted = false;
            }
            else if (string.Equals(room, sid, StringComparison.Ordinal))
            {
                if (socketRooms is null)
                {
                    _sids[sid] = new HashSet<string>(StringComparer.Ordinal); // in no room now
                    left = true;
                }
                else
                {
                    left = socketRooms.Remove(sid);
                }

                deleted = left && !_rooms.ContainsKey(room);
            }
            else
            {
                left = socketRooms is not null && socketRooms.Remove(room);
                deleted = left && RemoveMember(room, sid);
                if (left && socketRooms!.Count == 1 && socketRooms.Contains(sid))
                {
                    _sids[sid] = null; // back to its own room alone
                }
            }
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
        // (room, deleted) for the events, collected only when someone listens (this runs once per disconnect); read
        // under the lock, as in AddAll.
        List<(string Room, bool Deleted)>? left = null;
        lock (SyncRoot)
        {
            var notify = RoomLeft is not null || RoomDeleted is not null;
            if (!_sids.Remove(sid, out var socketRooms))
            {
                return;
            }

            if (socketRooms is null)
            {
                if (notify)
                {
                    left = [(sid, !_rooms.ContainsKey(sid))];
                }
            }
            else
            {
                left = notify ? new List<(string, bool)>(socketRooms.Count) : null;
                foreach (var room in socketRooms)
                {
                    // The own room's membership went with the _sids entry; it is gone unless others joined it.
                    var deleted = string.Equals(room, sid, StringComparison.Ordinal) ? !_rooms.ContainsKey(sid) : RemoveMember(room, sid);
                    left?.Add((room, deleted));
                }
            }
        }

        if (left is null)
        {
            return;
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

                    if (IsInOwnRoom(room))
                    {
                        result.Add(room);
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
            if (!_sids.TryGetValue(sid, out var rooms))
            {
                return null;
            }

            return rooms is null ? new HashSet<string>(StringComparer.Ordinal) { sid } : new HashSet<string>(rooms, StringComparer.Ordinal);
        }
    }

    /// <summary>Every room that has at least one socket on this node.</summary>
    public virtual IReadOnlySet<string> Rooms()
    {
        lock (SyncRoot)
        {
            var result = new HashSet<string>(_rooms.Keys, StringComparer.Ordinal);
            foreach (var (sid, rooms) in _sids)
            {
                if (rooms is null || rooms.Contains(sid))
                {
                    result.Add(sid);
                }
            }

            return result;
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
            return _rooms.ContainsKey(room) || IsInOwnRoom(room);
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
                    if (_rooms.TryGetValue(room, out var members))
                    {
                        foreach (var sid in members)
                        {
                            if (seen.Add(sid))
                            {
                                AddTarget(sid, _sids[sid], options, targets);
                            }
                        }
                    }

                    if (_sids.TryGetValue(room, out var ownerRooms) && (ownerRooms is null || ownerRooms.Contains(room)) && seen.Add(room))
                    {
                        AddTarget(room, ownerRooms, options, targets);
                    }
                }
            }
        }
    }

    private void AddTarget(string sid, HashSet<string>? rooms, BroadcastOptions options, List<Socket> targets)
    {
        if (options.Except.Count > 0 && (rooms is null ? options.Except.Contains(sid) : rooms.Overlaps(options.Except)))
        {
            return;
        }

        if (Namespace.TryGetSocket(sid, out var socket))
        {
            targets.Add(socket);
        }
    }

    /// <summary>Removes <paramref name="sid"/> from <paramref name="room"/>'s stored members; true when the room is gone.</summary>
    private bool RemoveMember(string room, string sid)
    {
        if (_rooms.TryGetValue(room, out var members) && members.Remove(sid) && members.Count == 0)
        {
            _rooms.Remove(room);
            return !IsInOwnRoom(room); // a room named after a socket's id lives on while that socket is in it
        }

        return false;
    }

    /// <summary>Whether a socket with id <paramref name="room"/> exists and is in its own room (never stored in _rooms).</summary>
    private bool IsInOwnRoom(string room) => _sids.TryGetValue(room, out var rooms) && (rooms is null || rooms.Contains(room));
}
