using System.Buffers;
using FastIo.EngineIO;
using FastIo.Timers;

namespace FastIo.Transports.EngineIO;

/// <summary>
/// HTTP long-polling (engine.io's <c>Polling</c>): at most one waiting GET, which the session's next flush
/// answers with a payload, and at most one POST at a time carrying a payload of packets.
/// </summary>
/// <remarks>All state is guarded by the session's <see cref="EngineSession.SyncRoot"/>.</remarks>
internal sealed class PollingTransport : EngineTransport
{
    /// <summary>How long a close waits for the client's next GET to carry the close packet (engine.io: 30 s).</summary>
    private static readonly TimeSpan s_closeTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long a GET that arrives after a successful probe waits for the upgrade before a noop (engine.io: 100 ms).</summary>
    private static readonly TimeSpan s_upgradeCheckDelay = TimeSpan.FromMilliseconds(100);

    private readonly TimerWheel _timers;
    private TaskCompletionSource<PollResponse>? _pendingGet;
    private CloseTimer? _closeTimer;
    private UpgradeCheckTimer? _upgradeCheckTimer;
    private bool _pendingGetRelayed;
    private bool _postActive;
    private bool _shouldClose;
    private bool _discarded;
    private bool _closed;

    public PollingTransport(TimerWheel timers) => _timers = timers;

    public override string Name => "polling";

    public override bool IsWritable => _pendingGet is not null;

    public override bool HandlesUpgrades => false;

    private EngineSession TheSession => Session ?? throw new InvalidOperationException("not attached");

    /// <summary>
    /// Registers a GET and returns the task its response completes with; null when another GET is already
    /// waiting, which closes the session (engine.io: "overlap from client") — unless the waiting one came through a
    /// peer node (<paramref name="relayed"/> when it registered): that peer may have died without this node having
    /// noticed yet while the balancer already retried the GET, so the newcomer replaces it.
    /// </summary>
    public Task<PollResponse>? BeginPoll(bool relayed = false)
    {
        var session = TheSession;
        Task<PollResponse> task;
        lock (session.SyncRoot)
        {
            if (_discarded)
            {
                // Got past the sid check just before the upgrade completed: this session is on WebSocket now.
                return Task.FromResult(PollResponse.Refused);
            }

            if (_pendingGet is { } waiting && _pendingGetRelayed && !_closed)
            {
                // Cancelled, not answered: no packet goes to a connection that is probably dead.
                _pendingGet = null;
                waiting.TrySetCanceled();
            }

            if (_pendingGet is not null || _closed)
            {
                session.OnTransportError(this, "overlap from client");
                return null;
            }

            // Continuations run on the completing thread, which may hold the session lock: the only awaiter
            // (EngineHttpApplication, through ShardScheduler.After) just enqueues itself on the session's shard.
            var pending = new TaskCompletionSource<PollResponse>();
            _pendingGet = pending;
            _pendingGetRelayed = relayed;
            task = pending.Task;
            session.OnTransportReady(this);
            if (_shouldClose && IsWritable)
            {
                // A close was requested while no GET waited: this one carries it.
                Send([new EnginePacket(EnginePacketType.Noop)]);
            }
            else if (IsWritable && session.IsUpgradeProbed)
            {
                // The client is completing an upgrade on its WebSocket, and its "5" may be in flight on that other
                // connection. Hold this GET briefly: if the upgrade completes it is refused like any polling request
                // of an upgraded session; otherwise a noop releases it.
                _upgradeCheckTimer ??= new UpgradeCheckTimer(this);
                _timers.Schedule(_upgradeCheckTimer, s_upgradeCheckDelay);
            }
        }

        return task;
    }

    /// <summary>
    /// The connection of a waiting GET went away: the session dies ("poll connection closed prematurely"), unless
    /// <paramref name="closeSession"/> is false (a peer node that relayed the GET went away, see
    /// <c>EngineHttpApplication.HandlePollAsync</c>): then only that GET is dropped, and its packets wait for the next.
    /// </summary>
    public void AbortPoll(Task<PollResponse> poll, bool closeSession = true)
    {
        var session = TheSession;
        lock (session.SyncRoot)
        {
            if (_pendingGet is null || _pendingGet.Task != poll)
            {
                return; // already answered
            }

            _pendingGet.TrySetCanceled();
            _pendingGet = null;
            if (closeSession)
            {
                session.OnTransportError(this, "poll connection closed prematurely");
            }
        }
    }

    /// <summary>Marks a POST as running; false if another one is (which closes the session).</summary>
    public bool BeginPost()
    {
        var session = TheSession;
        lock (session.SyncRoot)
        {
            if (_postActive)
            {
                session.OnTransportError(this, "data request overlap from client");
                return false;
            }

            _postActive = true;
            return true;
        }
    }

    public void EndPost()
    {
        lock (TheSession.SyncRoot)
        {
            _postActive = false;
        }
    }

    /// <summary>The client sent a close packet: release the waiting GET with a noop, then the transport is done.</summary>
    public void OnClientClose()
    {
        var session = TheSession;
        lock (session.SyncRoot)
        {
            if (IsWritable)
            {
                Send([new EnginePacket(EnginePacketType.Noop)]);
            }
            else
            {
                // The client's GET may be in flight on another connection, racing this POST: the server remembers
                // the sid for a moment so that GET is released with the noop the client expects, not refused.
                session.RememberClosedByClient();
            }

            _closed = true;
        }

        session.OnTransportClosed(this);
    }

    public override void Send(ReadOnlySpan<EnginePacket> packets)
    {
        var pending = _pendingGet;
        if (pending is null)
        {
            return;
        }

        _pendingGet = null;
        var session = TheSession;
        // The close packet rides only on a payload that carries nothing else, as in engine.io (whose socket closes its
        // transport once the buffer drained): socket.io-client hands decoded packets to its sockets a tick later but
        // handles a close at once, so a DISCONNECT sharing a payload with the close would be reported as "transport
        // close" instead of "io server disconnect". The client's next GET carries the close.
        var closing = _shouldClose && OnlyNoops(packets);
        if (closing)
        {
            packets = Append(packets, new EnginePacket(EnginePacketType.Close));
            _shouldClose = false;
        }

        pending.TrySetResult(Encode(session, packets));
        if (closing)
        {
            FinishClose();
        }
    }

    public override void Close()
    {
        var session = TheSession;
        if (_closed || _shouldClose)
        {
            return;
        }

        if (IsWritable)
        {
            Send([new EnginePacket(EnginePacketType.Close)]);
            FinishClose();
        }
        else if (_discarded || session.State == EngineSessionState.Closed)
        {
            // Nobody will come for a close packet: an upgraded session, or one already dead.
            FinishClose();
        }
        else
        {
            _shouldClose = true;
            _closeTimer ??= new CloseTimer(this);
            _timers.Schedule(_closeTimer, s_closeTimeout);
        }
    }

    public override void Discard()
    {
        _discarded = true;
        if (_pendingGet is { } pending)
        {
            // A GET that raced with the upgrade: the session is on WebSocket now, and polling it is a bad request.
            _pendingGet = null;
            pending.TrySetResult(PollResponse.Refused);
        }
    }

    private void FinishClose()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        if (_closeTimer is not null)
        {
            _timers.Cancel(_closeTimer);
        }

        TheSession.OnTransportClosed(this);
    }

    private static PollResponse Encode(EngineSession session, ReadOnlySpan<EnginePacket> packets)
    {
        if (session.Protocol != 3 && EncodeTextV4(packets) is { } text)
        {
            return new PollResponse(text, isBinary: false);
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        if (session.Protocol != 3)
        {
            EngineCodec.WritePayloadV4(buffer, packets);
            return new PollResponse(buffer.WrittenMemory, isBinary: false);
        }

        if (EngineCodec.NeedsV3BinaryPayload(packets, session.SupportsBinary))
        {
            EngineCodec.WritePayloadV3Binary(buffer, packets);
            return new PollResponse(buffer.WrittenMemory, isBinary: true);
        }

        EngineCodec.WritePayloadV3Text(buffer, packets);
        return new PollResponse(buffer.WrittenMemory, isBinary: false);
    }

    /// <summary>
    /// The usual v4 payload, text packets only, into one array of the exact size (what WritePayloadV4 writes:
    /// type digit and data per packet, 0x1E between them); null when a packet is binary. Saves the growable writer
    /// and its 256-byte start per long-polling response.
    /// </summary>
    private static byte[]? EncodeTextV4(ReadOnlySpan<EnginePacket> packets)
    {
        var length = packets.Length - 1;
        foreach (var packet in packets)
        {
            if (packet.IsBinary)
            {
                return null;
            }

            length += 1 + packet.Data.Length;
        }

        var body = new byte[length];
        var at = 0;
        for (var i = 0; i < packets.Length; i++)
        {
            if (i > 0)
            {
                body[at++] = EngineCodec.RecordSeparator;
            }

            body[at++] = (byte)('0' + (int)packets[i].Type);
            packets[i].Data.Span.CopyTo(body.AsSpan(at));
            at += packets[i].Data.Length;
        }

        return body;
    }

    private static bool OnlyNoops(ReadOnlySpan<EnginePacket> packets)
    {
        foreach (var packet in packets)
        {
            if (packet.Type != EnginePacketType.Noop)
            {
                return false;
            }
        }

        return true;
    }

    private static EnginePacket[] Append(ReadOnlySpan<EnginePacket> packets, EnginePacket last)
    {
        var all = new EnginePacket[packets.Length + 1];
        packets.CopyTo(all);
        all[^1] = last;
        return all;
    }

    private sealed class UpgradeCheckTimer(PollingTransport transport) : TimerEntry
    {
        protected internal override void OnTimer()
        {
            var session = transport.TheSession;
            lock (session.SyncRoot)
            {
                if (transport.IsWritable && !transport._discarded && !IsScheduled)
                {
                    transport.Send([new EnginePacket(EnginePacketType.Noop)]);
                }
            }
        }
    }

    private sealed class CloseTimer(PollingTransport transport) : TimerEntry
    {
        protected internal override void OnTimer()
        {
            var session = transport.TheSession;
            lock (session.SyncRoot)
            {
                if (IsScheduled)
                {
                    return; // rescheduled meanwhile
                }

                transport._shouldClose = false;
                transport.FinishClose();
            }
        }
    }
}
