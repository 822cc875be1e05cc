using FastIo.SocketIO.Protocol;

namespace FastIo.SocketIO.Adapters;

/// <summary>
/// Connection state recovery, in memory (socket.io-adapter's <c>SessionAwareAdapter</c>): sessions of disconnected
/// sockets and the broadcast events they may miss, each stored with an offset the client echoes back.
/// </summary>
public partial class Adapter
{
    private readonly Dictionary<string, PersistedSession> _sessions = new(StringComparer.Ordinal);
    // Oldest first, offsets increasing: a queue, so that expiring the oldest costs nothing per packet.
    private readonly Queue<PersistedPacket> _packets = new();
    private long _lastOffset;
    private ExpiryTimer? _expiryTimer;
    private bool _storeClosed; // set by CloseAsync: nothing is stored any more, so nothing is kept past the close

    /// <summary>Keeps a disconnected socket's session for <see cref="ConnectionStateRecoveryOptions.MaxDisconnectionDuration"/>.</summary>
    internal virtual void PersistSession(PersistedSession session)
    {
        lock (_packets)
        {
            if (_storeClosed)
            {
                return;
            }

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

            if (!HasOffset(offset))
            {
                return ValueTask.FromResult<RestoredSession?>(null); // the offset is too old, or unknown
            }

            // Restored once: a second connection presenting the same pid must not become a twin of this one.
            _sessions.Remove(pid);

            // Copies: the socket keeps them until it flushes them, which the store's pooled buffers must not wait for.
            var missed = new List<EncodedMessages>();
            var after = false;
            foreach (var packet in _packets)
            {
                if (after && packet.Options.Includes(session.Rooms))
                {
                    missed.Add(packet.Messages.Detach());
                }

                after |= IsOffset(packet, offset);
            }

            return ValueTask.FromResult<RestoredSession?>(new RestoredSession(session, missed));
        }
    }

    /// <summary>
    /// With recovery on, a plain event without ack that is not volatile gets an offset as its last argument and is
    /// kept, so a client that reconnects after missing it receives it.
    /// </summary>
    /// <remarks>
    /// Returns the encoded messages to send, with one reference for the caller. The store keeps its own reference
    /// (given back when the packet expires): a text event written into a pooled message gets a pooled copy with the
    /// offset, so storing costs no allocation either.
    /// </remarks>
    private protected EncodedMessages EncodeForBroadcast(SocketPacket packet, BroadcastOptions options)
    {
        var server = Namespace.Server;
        var recovery = server.Options.ConnectionStateRecovery;
        if (recovery is null || packet.Type is not (SocketPacketType.Event or SocketPacketType.BinaryEvent) || packet.AckId >= 0 || options.Volatile)
        {
            return server.Encode(packet);
        }

        lock (_packets)
        {
            if (_storeClosed)
            {
                return server.Encode(packet);
            }

            // Expired packets go as new ones come, not only at the sweep: the pools get back a message per message
            // stored rather than a sweep's worth at once, which they could not keep.
            var now = server.Options.TimeProvider.GetUtcNow();
            ExpirePackets(now - recovery.MaxDisconnectionDuration);
            var offset = NextOffset();
            var encoded = packet.EncodedMessage is { } pooled && packet.Attachments.Count == 0 && server.Parser is SocketIOJsonParser
                ? new EncodedMessages(PacketWriter.AppendOffset(pooled, offset))
                : server.Encode(PacketWriter.AppendArgument(packet, offset.ToString("x", System.Globalization.CultureInfo.InvariantCulture)));
            encoded.AddRef();
            _packets.Enqueue(new PersistedPacket(offset, options, encoded, now));
            ScheduleExpiry();
            return encoded;
        }
    }

    private long NextOffset()
    {
        // Monotonic per adapter, unique across restarts thanks to the time prefix (the role yeast() plays in Node).
        // Sent in hexadecimal.
        var now = Namespace.Server.Options.TimeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        _lastOffset = Math.Max(_lastOffset + 1, now * 1000);
        return _lastOffset;
    }

    /// <summary>Whether a stored packet has the offset the client sent back (lock held).</summary>
    private bool HasOffset(string offset)
    {
        foreach (var packet in _packets)
        {
            if (IsOffset(packet, offset))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether <paramref name="offset"/> is the packet's offset as sent (lower-case hexadecimal).</summary>
    private static bool IsOffset(in PersistedPacket packet, string offset)
    {
        Span<char> formatted = stackalloc char[16];
        return packet.Offset.TryFormat(formatted, out var length, "x", System.Globalization.CultureInfo.InvariantCulture) &&
               offset.AsSpan().SequenceEqual(formatted[..length]);
    }

    /// <summary>Drops the packets emitted before <paramref name="threshold"/>, giving back the store's references (lock held).</summary>
    private void ExpirePackets(DateTimeOffset threshold)
    {
        while (_packets.TryPeek(out var oldest) && oldest.EmittedAt < threshold)
        {
            _packets.Dequeue();
            oldest.Messages.Release();
        }
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
        ExpirePackets(threshold);
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

    /// <summary>
    /// Drops every stored session and packet, giving back the store's references, and stops the sweep: a closed
    /// adapter (a removed namespace, a disposed server) would otherwise keep its pooled buffers until they expired,
    /// and its sweep would keep the timer wheel busy.
    /// </summary>
    private void ClearRecoveryStore()
    {
        lock (_packets)
        {
            _storeClosed = true;
            while (_packets.TryDequeue(out var packet))
            {
                packet.Messages.Release();
            }

            _sessions.Clear();
            if (_expiryTimer is not null)
            {
                Namespace.Server.Timers.Cancel(_expiryTimer);
            }
        }
    }

    private sealed class ExpiryTimer(Adapter adapter) : FastIo.Timers.TimerEntry
    {
        protected internal override void OnTimer() => adapter.OnExpiryTimer();
    }

    /// <summary>A stored event: its offset, its targets, and its encoded messages (the store holds one reference).</summary>
    private readonly record struct PersistedPacket(long Offset, BroadcastOptions Options, EncodedMessages Messages, DateTimeOffset EmittedAt);
}

/// <summary>What connection state recovery keeps of a disconnected socket.</summary>
internal sealed record PersistedSession(string Sid, string Pid, IReadOnlySet<string> Rooms, IDictionary<string, object?> Data, DateTimeOffset DisconnectedAt);

/// <summary>A recovered session and the packets it missed.</summary>
internal sealed record RestoredSession(PersistedSession Session, IReadOnlyList<EncodedMessages> MissedPackets);
