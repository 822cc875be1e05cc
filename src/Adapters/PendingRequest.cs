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

    /// <summary>
    /// Registers a server-side emit with acknowledgements under <paramref name="requestId"/>, publishes it, and gathers
    /// one reply per other server; a timeout reports the replies that did arrive. Shared by the classic and the sharded
    /// adapter, which differ only in how they publish.
    /// </summary>
    public static async Task<SocketArgs[]> GatherServerSideRepliesAsync(
        System.Collections.Concurrent.ConcurrentDictionary<string, PendingRequest> requests, string requestId, int otherServers,
        Action publish, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        var request = new PendingRequest(RequestType.ServerSideEmit, otherServers);
        requests[requestId] = request;
        try
        {
            publish();
            await request.Task.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            lock (request)
            {
                throw new AckTimeoutException(request.Replies.ToArray(), request.Expected);
            }
        }
        finally
        {
            requests.TryRemove(requestId, out _);
        }

        lock (request)
        {
            return request.Replies.ToArray();
        }
    }

    /// <summary>Counts one response (the caller already merged its content under this object's lock).</summary>
    public void Count()
    {
        if (Interlocked.Increment(ref _responses) >= Expected)
        {
            _done.TrySetResult();
        }
    }
}
