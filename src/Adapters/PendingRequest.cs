using FastIo.SocketIO;

namespace FastIo.Adapters.Redis;

/// <summary>
/// A request this server published and whose responses it gathers (fetchSockets, allRooms, serverSideEmit with
/// acks): complete once <see cref="Expected"/> responses counted, as Node counts them rather than matching uids.
/// </summary>
internal sealed class PendingRequest
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _responses;

    public PendingRequest(RequestType type, int expected)
    {
        Type = type;
        Expected = expected;
    }

    public RequestType Type { get; }

    /// <summary>Responses awaited from the other servers.</summary>
    public int Expected { get; }

    public List<RemoteSocket> Sockets { get; } = new();

    public HashSet<string> Rooms { get; } = new(StringComparer.Ordinal);

    public List<SocketArgs> Replies { get; } = new();

    public Task Task => _done.Task;

    /// <summary>Counts one response (the caller already merged its content under this object's lock).</summary>
    public void Count()
    {
        if (Interlocked.Increment(ref _responses) >= Expected)
        {
            _done.TrySetResult();
        }
    }
}
