namespace FastIo.SocketIO.Adapters;

/// <summary>
/// A per-thread list for the targets of one broadcast, reused from broadcast to broadcast so that fanning out to
/// many sockets allocates no growing list each time. A broadcast started from inside another one on the same thread
/// (a handler run by a write) gets a fresh list.
/// </summary>
internal static class TargetList
{
    /// <summary>A list that grew beyond this many entries is not kept by its thread.</summary>
    private const int MaxRetained = 64 * 1024;

    [ThreadStatic]
    private static List<Socket>? t_list;

    public static List<Socket> Rent()
    {
        var list = t_list;
        if (list is null)
        {
            return new List<Socket>();
        }

        t_list = null;
        return list;
    }

    public static void Return(List<Socket> list)
    {
        list.Clear(); // no socket stays reachable from a thread's spare list
        if (list.Capacity <= MaxRetained)
        {
            t_list = list;
        }
    }
}
