using System.Text;
using FastIo.Timers;

namespace FastIo.EngineIO;

/// <summary>
/// One Engine.IO session (engine.io's <c>Socket</c>): its transport, the upgrade to WebSocket, the heartbeat
/// and the write buffer that holds packets while no transport can take them.
/// </summary>
/// <remarks>
/// State changes happen under <see cref="SyncRoot"/>; transports call in with it held or not (the lock is
/// re-entrant), and application callbacks run outside it.
/// </remarks>
public sealed partial class EngineSession
{
    private readonly EngineServer _server;
    private readonly HeartbeatTimer _heartbeat;
    private List<EnginePacket>? _writeBuffer; // created when a packet must wait; dropped again on a WebSocket (ClearWriteBuffer)
    private EngineTransport _transport;
    private EngineTransport? _upgradingTransport;
    private UpgradeTimer? _upgradeTimer;
    private bool _upgraded;
    private bool _probed;
    private bool _flushing;
    private string? _closeReason;
    private string? _closingReason;

    internal EngineSession(EngineServer server, string id, int shard, int protocol, EngineTransport transport, EngineRequestInfo request, bool supportsBinary)
    {
        _server = server;
        Id = id;
        Shard = shard;
        Protocol = protocol;
        Request = request;
        SupportsBinary = supportsBinary;
        _heartbeat = new HeartbeatTimer(this); // first: it is the session's lock (SyncRoot), which the transport may take
        _transport = transport;
        transport.Session = this;
    }

    /// <summary>The session id (<c>sid</c>).</summary>
    public string Id { get; }

    /// <summary>The shard (core) that owns the session, also encoded in <see cref="Id"/>; 0 when the host is not sharded.</summary>
    public int Shard { get; }

    /// <summary>Engine.IO protocol revision: 4, or 3 for old clients.</summary>
    public int Protocol { get; }

    /// <summary>The request that opened the session.</summary>
    public EngineRequestInfo Request { get; }

    /// <summary>The current transport: <c>polling</c> or <c>websocket</c>.</summary>
    public string TransportName => _transport.Name;

    /// <summary>The life-cycle state.</summary>
    public EngineSessionState State { get; private set; } = EngineSessionState.Opening;

    /// <summary>Whether the session moved from polling to WebSocket.</summary>
    public bool Upgraded => _upgraded;

    /// <summary>A slot for the application (Socket.IO keeps its client here).</summary>
    public object? Items { get; set; }

    /// <summary>v3 polling clients that did not ask for base64 (<c>b64</c>) get binary payloads.</summary>
    internal bool SupportsBinary { get; }

    /// <summary>The lock of the session's state, shared with its transports (a monitor: re-entrant).</summary>
    /// <remarks>
    /// The monitor of the session's private heartbeat entry, which lives as long as the session and is never locked by
    /// anything else (the timer wheel has a lock of its own), rather than a Lock object of its own: 40 B less per idle
    /// connection (S1, bench/RESULTS.md 2026-11-26 "s1"). Not the write buffer's, which exists only while needed.
    /// </remarks>
    internal object SyncRoot => _heartbeat;

    /// <summary>For tests: whether the session holds a write buffer (a WebSocket session only while packets wait).</summary>
    internal bool HoldsWriteBuffer
    {
        get
        {
            lock (SyncRoot)
            {
                return _writeBuffer is not null;
            }
        }
    }

    /// <summary>Packets waiting in the write buffer.</summary>
    private int BufferedCount => _writeBuffer?.Count ?? 0;

    internal EngineTransport Transport => _transport;

    /// <summary>Sends a text message (UTF-8). Dropped when the session is closing or closed.</summary>
    public void SendText(string text) => Enqueue(new EnginePacket(EnginePacketType.Message, Encoding.UTF8.GetBytes(text)));

    /// <summary>Sends a text message given as UTF-8 bytes (copied).</summary>
    public void SendText(ReadOnlySpan<byte> utf8) => Enqueue(new EnginePacket(EnginePacketType.Message, utf8.ToArray()));

    /// <summary>Sends a binary message (copied).</summary>
    public void SendBinary(ReadOnlySpan<byte> data) =>
        Enqueue(new EnginePacket(EnginePacketType.Message, data.ToArray(), isBinary: true));

    /// <summary>Sends a message encoded once for many sessions; its bytes are shared, not copied.</summary>
    public void Send(EngineMessage message) => Enqueue(new EnginePacket(message));

    /// <summary>
    /// Sends messages that belong together (a Socket.IO packet and its binary attachments) as one unit: no other
    /// thread's message can come between them. With <paramref name="onlyIfWritable"/> (a volatile packet) nothing is
    /// sent unless the transport can take it right now. Returns whether the messages were accepted.
    /// </summary>
    public bool Send(ReadOnlySpan<EngineMessage> messages, bool onlyIfWritable = false)
    {
        lock (SyncRoot)
        {
            if (!CanSendLocked(onlyIfWritable))
            {
                return false;
            }

            if (BufferedCount == 0 && _transport.IsWritable && (messages.Length == 1 || _transport.CopiesOnSend))
            {
                // Straight to the transport (nothing buffered to overtake), which copies the message or takes its own
                // reference: the session keeps nothing, so it takes no reference of its own either. A WebSocket takes
                // a packet and its attachments one by one (it frames each on its own anyway), in order and under this
                // lock, so nothing comes between them; without this, every binary emit would create the write buffer
                // that ClearWriteBuffer then drops again (a List and its array per message per session). Polling
                // must get them in one Send: one GET answer carries them all.
                foreach (var message in messages)
                {
                    if (!_transport.IsWritable)
                    {
                        break; // the transport failed on the previous one (it aborts itself; the session closes)
                    }

                    _server.Metrics.MessageSent(Shard);
                    var packet = new EnginePacket(message);
                    _transport.Send(new ReadOnlySpan<EnginePacket>(in packet));
                }

                return true;
            }

            foreach (var message in messages)
            {
                if (!TryBuffer(new EnginePacket(message)))
                {
                    return false;
                }
            }

            FlushLocked();
            return true;
        }
    }

    /// <summary>
    /// Sends a text message whose bytes are valid only during the call (a per-thread scratch buffer): a transport
    /// that copies on send (WebSocket) takes them directly when nothing is buffered before them; otherwise they are
    /// copied into the write buffer. Same rules as <see cref="Send(ReadOnlySpan{EngineMessage}, bool)"/>.
    /// </summary>
    internal bool SendTransientText(ReadOnlySpan<byte> utf8, bool onlyIfWritable)
    {
        lock (SyncRoot)
        {
            if (!CanSendLocked(onlyIfWritable))
            {
                return false;
            }

            // An empty write buffer keeps the order: nothing queued may be overtaken.
            if (BufferedCount == 0 && _transport.CopiesOnSend && _transport.IsWritable)
            {
                _server.Metrics.MessageSent(Shard);
                _transport.SendTransient(EnginePacketType.Message, utf8);
                return true;
            }

            if (!TryBuffer(new EnginePacket(EnginePacketType.Message, utf8.ToArray())))
            {
                return false;
            }

            FlushLocked();
            return true;
        }
    }

    /// <summary>Open, and for a volatile message also able to take it right now (lock held).</summary>
    private bool CanSendLocked(bool onlyIfWritable) =>
        State == EngineSessionState.Open && (!onlyIfWritable || (_transport.IsWritable && !_transport.IsCongested));

    /// <summary>
    /// Whether a message sent now goes straight to the network (a WebSocket that keeps up, or a waiting
    /// long-polling GET) rather than into a buffer. Volatile messages are dropped when this is false.
    /// </summary>
    public bool IsWritable
    {
        get
        {
            lock (SyncRoot)
            {
                return State == EngineSessionState.Open && _transport.IsWritable && !_transport.IsCongested;
            }
        }
    }

    /// <summary>
    /// Closes the session gracefully: buffered packets are delivered first, then the transport closes
    /// (reason <c>forced close</c>).
    /// </summary>
    public void Close() => Close("forced close");

    /// <summary>Closes gracefully; the application hears <paramref name="reason"/> once the transport is done.</summary>
    internal void Close(string reason)
    {
        lock (SyncRoot)
        {
            if (State != EngineSessionState.Open)
            {
                return;
            }

            _closingReason = reason;
            State = EngineSessionState.Closing;
            FlushLocked();
            _transport.Close();
        }
    }

    internal void Open()
    {
        lock (SyncRoot)
        {
            State = EngineSessionState.Open;
            RenewHeartbeatDeadline();
            if (Protocol == 3)
            {
                // v3: the client pings; it is late after pingInterval + pingTimeout.
                _heartbeat.Mode = HeartbeatMode.AwaitPing;
                _server.Timers.Schedule(_heartbeat, _server.Options.PingInterval + _server.Options.PingTimeout);
            }
            else
            {
                _heartbeat.Mode = HeartbeatMode.SendPing;
                _server.Timers.Schedule(_heartbeat, _server.Options.PingInterval);
            }

            SendControlLocked(new EnginePacket(EnginePacketType.Open, _server.BuildOpenPacket(Id, _transport)));
        }
    }

    internal void Enqueue(in EnginePacket packet)
    {
        lock (SyncRoot)
        {
            if (State is EngineSessionState.Closing or EngineSessionState.Closed)
            {
                return;
            }

            if (!TrySendNowLocked(packet) && TryBuffer(packet))
            {
                FlushLocked();
            }
        }
    }

    /// <summary>
    /// Hands one packet to the transport right away when it can take it and nothing buffered would be overtaken (lock
    /// held): the common case on a WebSocket (a ping, a reply) then needs no write buffer. False: buffer it instead.
    /// </summary>
    private bool TrySendNowLocked(in EnginePacket packet)
    {
        if (_flushing || BufferedCount != 0 || State == EngineSessionState.Closed || !_transport.IsWritable)
        {
            return false;
        }

        // The transport copies the packet or takes its own reference to a shared message: the session keeps nothing.
        if (packet.Type == EnginePacketType.Message)
        {
            _server.Metrics.MessageSent(Shard);
        }

        _transport.Send(new ReadOnlySpan<EnginePacket>(in packet));
        return true;
    }

    /// <summary>Sends a packet of the protocol's own (open, ping), buffered regardless of the bound when it must wait (lock held).</summary>
    private void SendControlLocked(in EnginePacket packet)
    {
        if (!TrySendNowLocked(packet))
        {
            (_writeBuffer ??= new List<EnginePacket>()).Add(packet);
            FlushLocked();
        }
    }

    /// <summary>Adds to the write buffer (lock held); false when the session had to be dropped as a slow consumer.</summary>
    private bool TryBuffer(in EnginePacket packet)
    {
        if (BufferedCount >= _server.Options.MaxBufferedPackets)
        {
            // A client that does not poll while messages pile up: drop it rather than grow without bound.
            _server.LogSlowConsumer(this);
            CloseCore("transport error");
            return false;
        }

        (_writeBuffer ??= new List<EnginePacket>()).Add(packet);
        packet.Shared?.AddRef(); // the write buffer's, given back once a transport took the packet or the session dropped it
        if (packet.Type == EnginePacketType.Message)
        {
            _server.Metrics.MessageSent(Shard);
        }

        return true;
    }

    /// <summary>Hands the write buffer to the transport if it can take it (engine.io's <c>flush</c>).</summary>
    internal void FlushLocked()
    {
        if (_flushing || State == EngineSessionState.Closed || _writeBuffer is not { Count: > 0 } buffer || !_transport.IsWritable)
        {
            return;
        }

        // A transport that fails while sending may close the session from inside Send (the lock is re-entrant):
        // CloseCore then leaves the buffer to this method, so every entry's reference is given back exactly once.
        // Code that runs inside Send on this thread (a completion run inline) may also buffer packets: they were not
        // part of this batch, so they stay for the next flush instead of being cleared with it.
        int sent = buffer.Count;
        _flushing = true;
        try
        {
            _transport.Send(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(buffer));
        }
        finally
        {
            _flushing = false;
            if (buffer.Count == sent || State == EngineSessionState.Closed)
            {
                ClearWriteBuffer();
            }
            else
            {
                for (int i = 0; i < sent; i++)
                {
                    buffer[i].Shared?.Release();
                }

                buffer.RemoveRange(0, sent);
            }
        }

        FlushLocked(); // what was buffered during the send, if the transport can take it now
    }

    /// <summary>Empties the write buffer, giving back the references its shared messages held (lock held).</summary>
    private void ClearWriteBuffer()
    {
        if (_writeBuffer is not { } buffer)
        {
            return;
        }

        foreach (var packet in buffer)
        {
            packet.Shared?.Release();
        }

        buffer.Clear();
        if (_transport.CopiesOnSend || State == EngineSessionState.Closed)
        {
            // A WebSocket buffers only while it cannot take packets (an upgrade, a close): an idle one keeps no buffer
            // (~180 B, S1). Long-polling keeps its own, which fills between every two GETs.
            _writeBuffer = null;
        }
    }

    /// <summary>A polling transport got a GET: hand it what is buffered.</summary>
    internal void OnTransportReady(EngineTransport transport)
    {
        lock (SyncRoot)
        {
            if (transport == _transport)
            {
                FlushLocked();
            }
        }
    }

    /// <summary>A packet arrived on <paramref name="transport"/>.</summary>
    internal void OnPacket(EngineTransport transport, EnginePacketType type, ReadOnlySpan<byte> data, bool isBinary)
    {
        if (transport == _upgradingTransport)
        {
            OnUpgradePacket(transport, type, data);
            return;
        }

        if (transport != _transport || State != EngineSessionState.Open)
        {
            return;
        }

        switch (type)
        {
            case EnginePacketType.Message:
                _server.Metrics.MessageReceived(Shard);
                try
                {
                    _server.Handler.OnMessage(this, data, isBinary);
                }
                catch (Exception e)
                {
                    // The application's bug must not take the transport (or the process) down with it.
                    _server.LogHandlerError(this, "OnMessage", e);
                }

                break;
            case EnginePacketType.Pong when Protocol != 3:
                OnPong();
                break;
            case EnginePacketType.Ping when Protocol == 3:
                OnPingV3(data);
                break;
            case EnginePacketType.Close:
                OnTransportClosed(transport);
                break;
            case EnginePacketType.Ping or EnginePacketType.Pong:
                // A heartbeat in the wrong direction for the protocol revision.
                OnTransportError(transport, "invalid heartbeat direction");
                break;
            default:
                // open, upgrade and noop have no meaning here; engine.io ignores them.
                break;
        }
    }

    /// <summary>A transport could not parse what it received.</summary>
    internal void OnParseError(EngineTransport transport)
    {
        if (transport == _upgradingTransport)
        {
            CancelUpgrade(transport);
            return;
        }

        if (transport == _transport)
        {
            CloseCore("parse error");
        }
    }

    /// <summary>A transport failed (overlapping GETs, aborted GET, socket error).</summary>
    internal void OnTransportError(EngineTransport transport, string description)
    {
        _ = description;
        if (transport == _upgradingTransport)
        {
            CancelUpgrade(transport);
            return;
        }

        if (transport == _transport)
        {
            CloseCore("transport error");
        }
    }

    /// <summary>A transport is finished (close packet, WebSocket closed, polling close delivered).</summary>
    internal void OnTransportClosed(EngineTransport transport)
    {
        if (transport == _upgradingTransport)
        {
            CancelUpgrade(transport);
            return;
        }

        if (transport == _transport)
        {
            CloseCore(State == EngineSessionState.Closing ? _closingReason ?? "forced close" : "transport close");
        }
    }

    /// <summary>Closes at once without flushing (server shutdown, or the reasons above).</summary>
    internal void CloseCore(string reason)
    {
        EngineTransport transport;
        EngineTransport? upgrading;
        lock (SyncRoot)
        {
            if (State == EngineSessionState.Closed)
            {
                return;
            }

            State = EngineSessionState.Closed;
            _closeReason = reason;
            _server.Timers.Cancel(_heartbeat);
            if (_upgradeTimer is not null)
            {
                _server.Timers.Cancel(_upgradeTimer);
            }

            if (!_flushing)
            {
                ClearWriteBuffer();
            }

            transport = _transport;
            upgrading = _upgradingTransport;
            _upgradingTransport = null;
            transport.Close();
            upgrading?.Close();
        }

        _server.Remove(this);
        if (_server.ShardDispatch is { } dispatch)
        {
            // On the session's own shard, after the current work item: never under the lock, never on the timer wheel.
            dispatch(Shard, static s => ((EngineSession)s!).NotifyClosed(), this);
        }
        else if (Monitor.IsEntered(SyncRoot))
        {
            // Closed from inside a transport call that holds the lock: the application must not run under it,
            // where a handler that touches other sessions could deadlock against them.
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.NotifyClosed(), this, preferLocal: true);
        }
        else
        {
            NotifyClosed();
        }
    }

    private void NotifyClosed()
    {
        try
        {
            _server.Handler.OnClose(this, _closeReason!);
        }
        catch (Exception e)
        {
            _server.LogHandlerError(this, "OnClose", e);
        }
    }

    /// <summary>The client closed a polling session while none of its GETs waited (see <see cref="EngineServer.WasClosedByClient"/>).</summary>
    internal void RememberClosedByClient() => _server.RememberClosedByClient(Id);

    /// <summary>The reason the session closed, once closed.</summary>
    public string? CloseReason => _closeReason;
}
