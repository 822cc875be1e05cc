namespace FastIo.SocketIO;

/// <summary>Who a broadcast reaches and how (socket.io-adapter's <c>BroadcastOptions</c>).</summary>
public sealed class BroadcastOptions
{
    internal static readonly IReadOnlySet<string> NoRooms = new HashSet<string>();

    /// <summary>Target rooms; empty means every socket of the namespace.</summary>
    public IReadOnlySet<string> Rooms { get; init; } = NoRooms;

    /// <summary>Rooms whose sockets are left out.</summary>
    public IReadOnlySet<string> Except { get; init; } = NoRooms;

    /// <summary>Dropped for clients that cannot take it right now, never buffered.</summary>
    public bool Volatile { get; init; }

    /// <summary>Compression hint (kept for API parity; FastIo negotiates no compression yet).</summary>
    public bool Compress { get; init; } = true;

    /// <summary>Only this node's sockets, even with a cluster adapter.</summary>
    public bool Local { get; init; }

    /// <summary>How long an acknowledged broadcast waits for replies.</summary>
    public TimeSpan? Timeout { get; init; }

    internal bool Includes(IReadOnlySet<string>? socketRooms)
    {
        if (socketRooms is null)
        {
            return false;
        }

        var included = Rooms.Count == 0;
        foreach (var room in socketRooms)
        {
            if (Except.Contains(room))
            {
                return false;
            }

            included |= Rooms.Contains(room);
        }

        return included;
    }
}
