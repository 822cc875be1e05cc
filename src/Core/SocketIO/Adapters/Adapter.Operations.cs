using FastIo.SocketIO.Protocol;

namespace FastIo.SocketIO.Adapters;

/// <summary>The operations on sockets chosen by rooms; in memory, they act on this node's sockets.</summary>
public partial class Adapter
{
    /// <summary>
    /// Sends <paramref name="packet"/> to the sockets <paramref name="options"/> selects, encoded once for all of
    /// them. With connection state recovery on, plain events are stored (with their offset) for clients that come back.
    /// </summary>
    internal virtual void Broadcast(SocketPacket packet, BroadcastOptions options)
    {
        // One reference for the duration of the fan-out; a target that keeps the message takes its own.
        var encoded = EncodeForBroadcast(packet, options);
        var targets = TargetList.Rent();
        try
        {
            CollectTargets(options, targets);
            foreach (var socket in targets)
            {
                socket.Client.Write(encoded, options.Volatile);
            }
        }
        finally
        {
            TargetList.Return(targets);
            encoded.Release();
        }
    }

    /// <summary>
    /// Sends <paramref name="packet"/> (its ack id set) to the selected sockets and routes each reply to
    /// <paramref name="onAck"/>; <paramref name="onClientCount"/> learns how many replies to expect.
    /// </summary>
    internal virtual void BroadcastWithAck(SocketPacket packet, BroadcastOptions options, Action<int> onClientCount, Action<SocketArgs> onAck)
    {
        var encoded = Namespace.Server.Encode(packet);
        var count = 0;
        try
        {
            // A target that disconnects without answering lowers the expected count, so the gathering still completes.
            var pending = new PendingAck(onAck, _ => onClientCount(-1));
            foreach (var socket in TargetSockets(options))
            {
                socket.RegisterAck(packet.AckId, pending);
                if (socket.Client.Write(encoded, options.Volatile))
                {
                    count++;
                }
                else
                {
                    socket.RemoveAck(packet.AckId); // a dropped volatile packet (or a closed client) will not be answered
                }
            }
        }
        finally
        {
            encoded.Release();
        }

        onClientCount(count);
    }

    /// <summary>The sockets <paramref name="options"/> selects, as remote-capable handles.</summary>
    internal virtual ValueTask<IReadOnlyList<RemoteSocket>> FetchSocketsAsync(BroadcastOptions options, CancellationToken cancellationToken)
    {
        var targets = TargetSockets(options);
        var result = new RemoteSocket[targets.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = RemoteSocket.Local(targets[i]);
        }

        return ValueTask.FromResult<IReadOnlyList<RemoteSocket>>(result);
    }

    /// <summary>Makes the selected sockets join <paramref name="rooms"/>.</summary>
    internal virtual void AddSockets(BroadcastOptions options, IReadOnlyCollection<string> rooms)
    {
        foreach (var socket in TargetSockets(options))
        {
            socket.Join(rooms);
        }
    }

    /// <summary>Makes the selected sockets leave <paramref name="rooms"/>.</summary>
    internal virtual void DelSockets(BroadcastOptions options, IReadOnlyCollection<string> rooms)
    {
        foreach (var socket in TargetSockets(options))
        {
            foreach (var room in rooms)
            {
                socket.Leave(room);
            }
        }
    }

    /// <summary>Disconnects the selected sockets (and their whole connection when <paramref name="close"/>).</summary>
    internal virtual void DisconnectSockets(BroadcastOptions options, bool close)
    {
        foreach (var socket in TargetSockets(options))
        {
            socket.Disconnect(close);
        }
    }

    /// <summary>Sends an event to the other servers of the cluster; the in-memory adapter has none.</summary>
    internal virtual void ServerSideEmit(string eventName, object?[] args)
    {
    }

    /// <summary>Sends an event to the other servers and gathers one reply per server; none in memory.</summary>
    internal virtual Task<SocketArgs[]> ServerSideEmitWithAckAsync(string eventName, object?[] args, TimeSpan timeout, CancellationToken cancellationToken) =>
        Task.FromResult(Array.Empty<SocketArgs>());
}
