using FastIo.Timers;

namespace FastIo.EngineIO;

/// <summary>The heartbeat: in v4 the server pings and expects a pong; in v3 the client pings.</summary>
public sealed partial class EngineSession
{
    private enum HeartbeatMode
    {
        SendPing,
        AwaitPong,
        AwaitPing,
    }

    /// <summary>
    /// When the session is dead for want of a heartbeat, as a <see cref="TimeProvider"/> timestamp. The wheel may
    /// fire up to a tick late; requests check this deadline themselves so that a client arriving just after it
    /// finds the session gone, exactly as with engine.io's own timers.
    /// </summary>
    private long _heartbeatDeadline;

    /// <summary>True when the heartbeat deadline passed; the caller then closes the session.</summary>
    internal bool IsHeartbeatOverdue()
    {
        var time = _server.Options.TimeProvider;
        return State == EngineSessionState.Open && time.GetTimestamp() >= Volatile.Read(ref _heartbeatDeadline);
    }

    /// <summary>A heartbeat arrived (or the session opened): the next one is due within interval + timeout.</summary>
    private void RenewHeartbeatDeadline()
    {
        var options = _server.Options;
        var span = options.PingInterval + options.PingTimeout;
        Volatile.Write(ref _heartbeatDeadline, options.TimeProvider.GetTimestamp() + (long)(span.TotalSeconds * options.TimeProvider.TimestampFrequency));
    }

    private void ExtendHeartbeatDeadline(TimeSpan span)
    {
        var time = _server.Options.TimeProvider;
        var deadline = time.GetTimestamp() + (long)(span.TotalSeconds * time.TimestampFrequency);
        if (deadline > Volatile.Read(ref _heartbeatDeadline))
        {
            Volatile.Write(ref _heartbeatDeadline, deadline);
        }
    }

    private void OnPong()
    {
        lock (SyncRoot)
        {
            if (_heartbeat.Mode != HeartbeatMode.AwaitPong)
            {
                return; // an unsolicited pong is harmless
            }

            _heartbeat.Mode = HeartbeatMode.SendPing;
            RenewHeartbeatDeadline();
            _server.Timers.Schedule(_heartbeat, _server.Options.PingInterval);
        }
    }

    private void OnPingV3(ReadOnlySpan<byte> data)
    {
        lock (SyncRoot)
        {
            RenewHeartbeatDeadline();
            _server.Timers.Schedule(_heartbeat, _server.Options.PingInterval + _server.Options.PingTimeout);
            Enqueue(new EnginePacket(EnginePacketType.Pong, data.ToArray()));
        }
    }

    private void OnHeartbeatTimer()
    {
        lock (SyncRoot)
        {
            // The wheel hands out expired entries outside its lock: a pong (or v3 ping) may have rescheduled this
            // one in between, and then the firing is stale.
            if ((State != EngineSessionState.Open && State != EngineSessionState.Closing) || _heartbeat.IsScheduled)
            {
                return;
            }

            if (_heartbeat.Mode == HeartbeatMode.SendPing)
            {
                _heartbeat.Mode = HeartbeatMode.AwaitPong;
                _server.Timers.Schedule(_heartbeat, _server.Options.PingTimeout);
                // The client's window starts when the ping leaves: a ping that left late (a busy machine) extends the
                // deadline. The wheel's own lateness, up to one tick, is not credited, so that a client arriving right
                // at pingInterval + pingTimeout finds the session gone, as engine.io's exact timers make it.
                ExtendHeartbeatDeadline(_server.Options.PingTimeout - _server.Timers.Resolution);
                SendControlLocked(new EnginePacket(EnginePacketType.Ping));
                return;
            }
        }

        // Never run the application's disconnect handlers on the wheel's thread: one slow handler would delay every
        // other session's heartbeat.
        ThreadPool.UnsafeQueueUserWorkItem(static s => s.CloseCore("ping timeout"), this, preferLocal: false);
    }

    private sealed class HeartbeatTimer(EngineSession session) : TimerEntry
    {
        public HeartbeatMode Mode;

        protected internal override void OnTimer() => session.OnHeartbeatTimer();
    }
}
