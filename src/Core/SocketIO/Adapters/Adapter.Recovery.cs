using FastIo.SocketIO.Protocol;

namespace FastIo.SocketIO.Adapters;

/// <summary>
/// Connection state recovery, in memory (socket.io-adapter's <c>SessionAwareAdapter</c>): sessions of disconnected
/// sockets and the broadcast events they may miss, each stored with an offset the client echoes back.
/// </summary>
public partial class Adapter
{
    private readonly Dictionary<string, PersistedSession> _sessions = new(StringComparer.Ordinal);
    private readonly List<PersistedPacket> _packets = new();
    private long _lastOffset;
    private ExpiryTimer? _expiryTimer;

    /// <summary>Keeps a disconnected socket's session for <see cref="ConnectionStateRecoveryOptions.MaxDisconnectionDuration"/>.</summary>
    internal virtual void PersistSession(PersistedSession session)
    {
        lock (_packets)
        {
            _sessions[session.Pid] = session;
            ScheduleExpiry();
        }
    }

    /// <summary>The session <paramref name="pid"/> with the packets it missed after <paramref name="offset"/>, or null.</summary>
    internal virtual ValueTask<RestoredSession?> RestoreSessionAsync(string pid, string offset, CancellationToken cancellationToken)
    {
        lock (_packets)
        {
            if (!_sessions.TryGetValue(pid, out var session))
            {
                return ValueTask.FromResult<RestoredSession?>(null);
            }

            var recovery = Namespace.Server.Options.ConnectionStateRecovery;
            if (recovery is null || session.DisconnectedAt + recovery.MaxDisconnectionDuration < Namespace.Server.Options.TimeProvider.GetUtcNow())
            {
                _sessions.Remove(pid);
                return ValueTask.FromResult<RestoredSession?>(null); // expired, the sweep just had not come by yet
            }

            var index = _packets.FindIndex(p => p.Offset == offset);
            if (index < 0)
            {
                return ValueTask.FromResult<RestoredSession?>(null); // the offset is too old, or unknown
            }

            // Restored once: a second connection presenting the same pid must not become a twin of this one.
            _sessions.Remove(pid);

            var missed = new List<SocketPacket>();
            for (var i = index + 1; i < _packets.Count; i++)
            {
                if (_packets[i].Options.Includes(session.Rooms))
                {
                    missed.Add(_packets[i].Packet);
                }
            }

            return ValueTask.FromResult<RestoredSession?>(new RestoredSession(session, missed));
        }
    }

    /// <summary>
    /// With recovery on, a plain event without ack that is not volatile gets an offset as its last argument and is
    /// kept, so a client that reconnects after missing it receives it.
    /// </summary>
    private protected SocketPacket StoreForRecovery(SocketPacket packet, BroadcastOptions options)
    {
        var recovery = Namespace.Server.Options.ConnectionStateRecovery;
        if (recovery is null || packet.Type is not (SocketPacketType.Event or SocketPacketType.BinaryEvent) || packet.AckId >= 0 || options.Volatile)
        {
            return packet;
        }

        lock (_packets)
        {
            var offset = NextOffset();
            var stored = PacketWriter.AppendArgument(packet, offset);
            _packets.Add(new PersistedPacket(offset, options, stored, Namespace.Server.Options.TimeProvider.GetUtcNow()));
            ScheduleExpiry();
            return stored;
        }
    }

    private string NextOffset()
    {
        // Monotonic per adapter, unique across restarts thanks to the time prefix (the role yeast() plays in Node).
        var now = Namespace.Server.Options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        _lastOffset = Math.Max(_lastOffset + 1, now * 1000);
        return _lastOffset.ToString("x", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Arms the periodic sweep (lock held): socket.io sweeps once a minute, or more often when sessions live shorter,
    /// so storage shrinks even on a server where nobody disconnects.
    /// </summary>
    private void ScheduleExpiry()
    {
        var recovery = Namespace.Server.Options.ConnectionStateRecovery;
        if (recovery is null || (_expiryTimer?.IsScheduled ?? false))
        {
            return;
        }

        _expiryTimer ??= new ExpiryTimer(this);
        var period = recovery.MaxDisconnectionDuration < TimeSpan.FromMinutes(1) ? recovery.MaxDisconnectionDuration : TimeSpan.FromMinutes(1);
        Namespace.Server.Timers.Schedule(_expiryTimer, period);
    }

    private void OnExpiryTimer()
    {
        lock (_packets)
        {
            Expire();
            if (_packets.Count > 0 || _sessions.Count > 0)
            {
                ScheduleExpiry();
            }
        }
    }

    private void Expire()
    {
        var recovery = Namespace.Server.Options.ConnectionStateRecovery;
        if (recovery is null)
        {
            return;
        }

        var threshold = Namespace.Server.Options.TimeProvider.GetUtcNow() - recovery.MaxDisconnectionDuration;
        var expired = 0;
        while (expired < _packets.Count && _packets[expired].EmittedAt < threshold)
        {
            expired++;
        }

        _packets.RemoveRange(0, expired);
        List<string>? gone = null;
        foreach (var (pid, session) in _sessions)
        {
            if (session.DisconnectedAt < threshold)
            {
                (gone ??= new()).Add(pid);
            }
        }

        if (gone is not null)
        {
            foreach (var pid in gone)
            {
                _sessions.Remove(pid);
            }
        }
    }

    private sealed class ExpiryTimer(Adapter adapter) : FastIo.Timers.TimerEntry
    {
        protected internal override void OnTimer() => adapter.OnExpiryTimer();
    }

    private sealed record PersistedPacket(string Offset, BroadcastOptions Options, SocketPacket Packet, DateTimeOffset EmittedAt);
}

/// <summary>What connection state recovery keeps of a disconnected socket.</summary>
internal sealed record PersistedSession(string Sid, string Pid, IReadOnlySet<string> Rooms, IDictionary<string, object?> Data, DateTimeOffset DisconnectedAt);

/// <summary>A recovered session and the packets it missed.</summary>
internal sealed record RestoredSession(PersistedSession Session, IReadOnlyList<SocketPacket> MissedPackets);
