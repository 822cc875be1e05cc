using FastIo.SocketIO.Protocol;

namespace FastIo.SocketIO;

/// <summary>Outgoing events and the acknowledgements they wait for.</summary>
public sealed partial class Socket
{
    private readonly Dictionary<long, Action<SocketArgs>> _pendingAcks = new();

    /// <summary>Emits an event to this client. Returns false when the socket is not connected.</summary>
    public bool Emit(string eventName, params object?[] args) => EmitCore(eventName, args, volatileFlag: false);

    /// <summary>Emits an event that is dropped if the client cannot take it right now (socket.io's <c>socket.volatile.emit</c>).</summary>
    public bool EmitVolatile(string eventName, params object?[] args) => EmitCore(eventName, args, volatileFlag: true);

    /// <summary>Emits an event and waits for the client's acknowledgement, however long it takes.</summary>
    public Task<SocketArgs> EmitWithAckAsync(string eventName, params object?[] args) =>
        EmitWithAckAsync(eventName, args, System.Threading.Timeout.InfiniteTimeSpan);

    /// <summary>
    /// Emits an event and waits for the client's acknowledgement; throws <see cref="AckTimeoutException"/> after
    /// <paramref name="timeout"/>, and <see cref="SocketDisconnectedException"/> if the socket disconnects first.
    /// </summary>
    public async Task<SocketArgs> EmitWithAckAsync(string eventName, object?[] args, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfReserved(eventName);
        if (!Connected)
        {
            throw new SocketDisconnectedException("The socket is not connected");
        }

        var id = Namespace.NextAckId();
        var reply = new TaskCompletionSource<SocketArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        RegisterAck(id, args => reply.TrySetResult(args), reply);
        NotifyOutgoing(eventName, args);
        Client.Send(PacketWriter.Event(Namespace.Name, eventName, args, id, Namespace.Server.JsonOptions));
        try
        {
            return timeout == System.Threading.Timeout.InfiniteTimeSpan
                ? await reply.Task.WaitAsync(cancellationToken).ConfigureAwait(false)
                : await reply.Task.WaitAsync(timeout, Namespace.Server.Options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            RemoveAck(id);
            throw new AckTimeoutException(Array.Empty<SocketArgs>(), 1);
        }
        catch (OperationCanceledException)
        {
            RemoveAck(id);
            throw;
        }
    }

    /// <summary>Sends the acknowledgement of an event the client emitted.</summary>
    internal void SendAck(long ackId, object?[] args) =>
        Client.Send(PacketWriter.Ack(Namespace.Name, ackId, args, Namespace.Server.JsonOptions));

    /// <summary>Routes the client's acknowledgement <paramref name="ackId"/> to <paramref name="onAck"/>.</summary>
    internal void RegisterAck(long ackId, Action<SocketArgs> onAck, TaskCompletionSource<SocketArgs>? failOnDisconnect = null)
    {
        lock (_pendingAcks)
        {
            _pendingAcks[ackId] = onAck;
            if (failOnDisconnect is not null)
            {
                (_failOnDisconnect ??= new())[ackId] = failOnDisconnect;
            }
        }
    }

    private Dictionary<long, TaskCompletionSource<SocketArgs>>? _failOnDisconnect;

    private bool EmitCore(string eventName, object?[] args, bool volatileFlag)
    {
        ThrowIfReserved(eventName);
        if (!Connected)
        {
            return false;
        }

        NotifyOutgoing(eventName, args);
        var packet = PacketWriter.Event(Namespace.Name, eventName, args, -1, Namespace.Server.JsonOptions);
        if (Namespace.Server.Options.ConnectionStateRecovery is not null)
        {
            // Through the adapter, so that the event is stored and replayed if the client comes back after missing it.
            _adapter.Broadcast(packet, new BroadcastOptions
            {
                Rooms = new HashSet<string>(StringComparer.Ordinal) { Id },
                Volatile = volatileFlag,
            });
        }
        else
        {
            Client.Write(Namespace.Server.Encode(packet), volatileFlag);
        }

        return true;
    }

    private void OnAckPacket(SocketPacket packet)
    {
        Action<SocketArgs>? onAck;
        lock (_pendingAcks)
        {
            if (!_pendingAcks.Remove(packet.AckId, out onAck))
            {
                return; // unknown or already answered: ignored, as socket.io does
            }

            _failOnDisconnect?.Remove(packet.AckId);
        }

        try
        {
            onAck(new SocketArgs(packet.Data, 0, packet.Attachments, Namespace.Server.JsonOptions));
        }
        catch (Exception e)
        {
            RaiseError(e);
        }
    }

    private void RemoveAck(long id)
    {
        lock (_pendingAcks)
        {
            _pendingAcks.Remove(id);
            _failOnDisconnect?.Remove(id);
        }
    }

    private void FailPendingAcks(string reason)
    {
        TaskCompletionSource<SocketArgs>[] waiting;
        lock (_pendingAcks)
        {
            _pendingAcks.Clear();
            if (_failOnDisconnect is null || _failOnDisconnect.Count == 0)
            {
                return;
            }

            waiting = [.. _failOnDisconnect.Values];
            _failOnDisconnect.Clear();
        }

        foreach (var pending in waiting)
        {
            pending.TrySetException(new SocketDisconnectedException("The socket disconnected: " + reason));
        }
    }
}
