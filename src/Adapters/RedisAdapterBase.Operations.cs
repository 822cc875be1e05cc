using FastIo.SocketIO;
using FastIo.SocketIO.Protocol;
using StackExchange.Redis;

namespace FastIo.Adapters.Redis;

/// <summary>
/// The operations this server distributes: each is applied locally first and then published on
/// <see cref="RequestChannel"/> in the protocol's encoding; requests wait for one response per other server.
/// </summary>
internal abstract partial class RedisAdapterBase
{
    /// <summary>Where requests to every other server of the namespace go.</summary>
    protected abstract RedisChannel RequestChannel { get; }

    internal override void Broadcast(SocketPacket packet, BroadcastOptions options)
    {
        if (!options.Local)
        {
            PublishBroadcast(packet, options);
        }

        base.Broadcast(packet, options);
    }

    internal override void BroadcastWithAck(SocketPacket packet, BroadcastOptions options, Action<int> onClientCount, Action<SocketArgs> onAck)
    {
        if (options.Local)
        {
            base.BroadcastWithAck(packet, options, onClientCount, onAck);
            return;
        }

        var requestId = NewRequestId();
        var request = new BroadcastAckRequest(onClientCount, onAck);
        AckRequests[requestId] = request;
        Publish(RequestChannel, EncodeBroadcastRequest(requestId, packet, options));
        base.BroadcastWithAck(packet, options, request.AddClientCount, onAck);
        _ = request.CountServersThenForgetAsync(
            () => ServerCountAsync(), () => AckRequests.TryRemove(requestId, out _), options.Timeout ?? RequestsTimeout, Namespace.Server.Options.TimeProvider);
    }

    internal override void AddSockets(BroadcastOptions options, IReadOnlyCollection<string> rooms)
    {
        base.AddSockets(options, rooms);
        PublishSelector(RequestType.RemoteJoin, options, rooms, close: false);
    }

    internal override void DelSockets(BroadcastOptions options, IReadOnlyCollection<string> rooms)
    {
        base.DelSockets(options, rooms);
        PublishSelector(RequestType.RemoteLeave, options, rooms, close: false);
    }

    internal override void DisconnectSockets(BroadcastOptions options, bool close)
    {
        base.DisconnectSockets(options, close);
        PublishSelector(RequestType.RemoteDisconnect, options, null, close);
    }

    internal override async ValueTask<IReadOnlyList<RemoteSocket>> FetchSocketsAsync(BroadcastOptions options, CancellationToken cancellationToken)
    {
        var local = await base.FetchSocketsAsync(options, cancellationToken).ConfigureAwait(false);
        if (options.Local)
        {
            return local;
        }

        var request = await FetchRemoteSocketsAsync(options, cancellationToken).ConfigureAwait(false);
        if (request is null)
        {
            return local;
        }

        lock (request)
        {
            var result = new List<RemoteSocket>(local);
            result.AddRange(request.Sockets);
            return result;
        }
    }

    internal override void ServerSideEmit(string eventName, object?[] args) => Publish(RequestChannel, EncodeServerSideEmit(eventName, args, null));

    /// <summary>One reply per other server; a timeout reports the replies that did arrive.</summary>
    internal override async Task<SocketArgs[]> ServerSideEmitWithAckAsync(string eventName, object?[] args, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var request = await RequestAsync(
            RequestType.ServerSideEmit,
            timeout,
            requestId => EncodeServerSideEmit(eventName, args, requestId),
            static (request, _) =>
            {
                lock (request)
                {
                    return new AckTimeoutException(request.Replies.ToArray(), request.Expected);
                }
            },
            cancellationToken).ConfigureAwait(false);
        if (request is null)
        {
            return Array.Empty<SocketArgs>();
        }

        lock (request)
        {
            return request.Replies.ToArray();
        }
    }

    /// <summary>A broadcast without acks, to the channel the protocol picks for its rooms.</summary>
    protected abstract void PublishBroadcast(SocketPacket packet, BroadcastOptions options);

    /// <summary>A broadcast whose client counts and acks come back under <paramref name="requestId"/>.</summary>
    protected abstract byte[] EncodeBroadcastRequest(string requestId, SocketPacket packet, BroadcastOptions options);

    /// <summary>
    /// A join, leave or disconnect (named by the classic request types) for the sockets the selector matches: with
    /// <paramref name="rooms"/> for the first two, with <paramref name="close"/> for the last.
    /// </summary>
    protected abstract byte[] EncodeSelector(RequestType type, BroadcastOptions options, IReadOnlyCollection<string>? rooms, bool close);

    /// <summary><c>[event, ...args]</c> for the other servers' handlers; with a request id when replies are awaited.</summary>
    protected abstract byte[] EncodeServerSideEmit(string eventName, object?[] args, string? requestId);

    /// <summary>Asks the other servers for their sockets the selector matches; null when this server is alone.</summary>
    protected abstract Task<PendingRequest?> FetchRemoteSocketsAsync(BroadcastOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Publishes a request that every other server answers once and waits up to <paramref name="timeout"/> for the
    /// answers; null when this server is alone (nothing is published then, as in Node). A timeout throws what
    /// <paramref name="onTimeout"/> makes of the answers gathered so far.
    /// </summary>
    protected async Task<PendingRequest?> RequestAsync(
        RequestType type, TimeSpan timeout, Func<string, byte[]> encode, Func<PendingRequest, TimeoutException, Exception> onTimeout, CancellationToken cancellationToken)
    {
        var servers = await ServerCountAsync(cancellationToken).ConfigureAwait(false);
        if (servers <= 1)
        {
            return null;
        }

        var requestId = NewRequestId();
        var request = new PendingRequest(type, servers - 1);
        Requests[requestId] = request;
        try
        {
            Publish(RequestChannel, encode(requestId));
            await request.Task.WaitAsync(timeout, Namespace.Server.Options.TimeProvider, cancellationToken).ConfigureAwait(false);
            return request;
        }
        catch (TimeoutException e)
        {
            throw onTimeout(request, e);
        }
        finally
        {
            Requests.TryRemove(requestId, out _);
        }
    }

    /// <summary>The room of a selector naming exactly one, or null.</summary>
    protected static string? SingleRoom(BroadcastOptions options)
    {
        if (options.Rooms.Count == 1)
        {
            foreach (var room in options.Rooms)
            {
                return room;
            }
        }

        return null;
    }

    private void PublishSelector(RequestType type, BroadcastOptions options, IReadOnlyCollection<string>? rooms, bool close)
    {
        if (!options.Local)
        {
            Publish(RequestChannel, EncodeSelector(type, options, rooms, close));
        }
    }
}
