using FastIo.SocketIO.Protocol;

namespace FastIo.SocketIO;

/// <summary>Outgoing events and the acknowledgements they wait for.</summary>
public sealed partial class Socket
{
    // Created by the first emit that waits for an acknowledgement (most sockets never do one: an idle connection should
    // cost little), never replaced, and its own lock.
    private Dictionary<long, PendingAck>? _pendingAcks;

    /// <summary>Emits an event with one argument (an array stays one argument, unlike with the <c>params</c> overload).</summary>
    public bool Emit<T>(string eventName, T argument)
    {
        if (_anyOutgoingHandlers.Length != 0 || Namespace.Server.Options.ConnectionStateRecovery is not null)
        {
            return EmitCore(eventName, [argument], volatileFlag: false);
        }

        // The common case goes typed to the serializer and through the session's scratch path: nothing allocated.
        ThrowIfReserved(eventName);
        if (!Connected)
        {
            return false;
        }

        Client.SendArray(Namespace.Name, eventName, new Arguments<T>(argument), -1, volatileFlag: false);
        return true;
    }

    /// <summary>Emits an event to this client. Returns false when the socket is not connected.</summary>
    public bool Emit(string eventName, params object?[] args) => EmitCore(eventName, args, volatileFlag: false);

    /// <summary>Emits an event that is dropped if the client cannot take it right now (socket.io's <c>socket.volatile.emit</c>).</summary>
    public bool EmitVolatile(string eventName, params object?[] args) => EmitCore(eventName, args, volatileFlag: true);

    /// <summary>Emits an event and waits for the client's acknowledgement, however long it takes.</summary>
    public Task<SocketArgs> EmitWithAckAsync(string eventName, params object?[] args) =>
        EmitWithAckAsync(eventName, args, System.Threading.Timeout.InfiniteTimeSpan);

    /// <summary>Emits with an acknowledgement deadline: <c>socket.Timeout(TimeSpan.FromSeconds(5)).EmitWithAckAsync(...)</c>.</summary>
    public SocketAckEmitter Timeout(TimeSpan timeout) => new(this, timeout);

    /// <summary>
    /// Emits an event and waits for the client's acknowledgement; throws <see cref="AckTimeoutException"/> after
    /// <paramref name="timeout"/>, and <see cref="SocketDisconnectedException"/> if the socket disconnects first.
    /// </summary>
    public async Task<SocketArgs> EmitWithAckAsync(string eventName, object?[] args, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ThrowIfReserved(eventName);
        var id = Namespace.NextAckId();
        var reply = new TaskCompletionSource<SocketArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        RegisterAck(id, new PendingAck(
            args => reply.TrySetResult(args),
            reason => reply.TrySetException(new SocketDisconnectedException("The socket disconnected: " + reason))));
        if (reply.Task.IsCompleted)
        {
            return await reply.Task.ConfigureAwait(false); // already disconnected
        }

        NotifyOutgoing(eventName, args);
        Client.SendArray(Namespace.Name, eventName, args, id, volatileFlag: false);
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
    internal void SendAck<TArgs>(long ackId, TArgs args)
        where TArgs : IPacketArguments, allows ref struct =>
        Client.SendArray(Namespace.Name, null, args, ackId, volatileFlag: false);

    /// <summary>
    /// Routes the client's acknowledgement <paramref name="ackId"/> to <paramref name="pending"/>. A socket that is
    /// already disconnected fails it at once, so that no waiter is left behind.
    /// </summary>
    internal void RegisterAck(long ackId, PendingAck pending)
    {
        // Published with a full fence, as OnClose sets the disconnected state with one before FailPendingAcks reads this
        // field: either FailPendingAcks finds the dictionary, or the check below sees the socket disconnected.
        var pendingAcks = Volatile.Read(ref _pendingAcks)
            ?? Interlocked.CompareExchange(ref _pendingAcks, new Dictionary<long, PendingAck>(), null)
            ?? _pendingAcks;
        lock (pendingAcks)
        {
            if (Volatile.Read(ref _connected) != 2)
            {
                pendingAcks[ackId] = pending;
                return;
            }
        }

        pending.OnGone("socket disconnected");
    }

    /// <summary>Forgets a registration nobody waits for any more (a timed-out broadcast, an undelivered packet).</summary>
    internal void RemoveAck(long id)
    {
        if (Volatile.Read(ref _pendingAcks) is { } pendingAcks)
        {
            lock (pendingAcks)
            {
                pendingAcks.Remove(id);
            }
        }
    }

    private bool EmitCore(string eventName, object?[] args, bool volatileFlag)
    {
        ThrowIfReserved(eventName);
        if (!Connected)
        {
            return false;
        }

        NotifyOutgoing(eventName, args);
        if (Namespace.Server.Options.ConnectionStateRecovery is null)
        {
            Client.SendArray(Namespace.Name, eventName, args, -1, volatileFlag);
        }
        else
        {
            // Through the adapter, so that the event is stored and replayed if the client comes back after missing it.
            var packet = PacketWriter.Event(Namespace.Name, eventName, args, -1, Namespace.Server.JsonOptions);
            _adapter.Broadcast(packet, new BroadcastOptions
            {
                Rooms = new HashSet<string>(StringComparer.Ordinal) { Id },
                Volatile = volatileFlag,
            });
        }

        return true;
    }

    private void OnAckPacket(SocketPacket packet)
    {
        PendingAck? pending;
        if (Volatile.Read(ref _pendingAcks) is not { } pendingAcks)
        {
            return; // nothing ever waited: ignored, as socket.io does
        }

        lock (pendingAcks)
        {
            if (!pendingAcks.Remove(packet.AckId, out pending))
            {
                return; // unknown or already answered: ignored, as socket.io does
            }
        }

        try
        {
            pending.OnAck(new SocketArgs(packet.Data, 0, packet.Attachments, Namespace.Server.JsonOptions));
        }
        catch (Exception e)
        {
            RaiseError(e);
        }
    }

    private void FailPendingAcks(string reason)
    {
        PendingAck[] waiting;
        if (Volatile.Read(ref _pendingAcks) is not { } pendingAcks)
        {
            return;
        }

        lock (pendingAcks)
        {
            if (pendingAcks.Count == 0)
            {
                return;
            }

            waiting = [.. pendingAcks.Values];
            pendingAcks.Clear();
        }

        foreach (var pending in waiting)
        {
            try
            {
                pending.OnGone(reason);
            }
            catch (Exception e)
            {
                RaiseError(e);
            }
        }
    }
}

/// <summary>What to do with an acknowledgement: its arrival, or the socket going away without answering.</summary>
internal sealed record PendingAck(Action<SocketArgs> OnAck, Action<string> OnGone);
