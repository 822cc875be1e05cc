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

    private void OnPong()
    {
        lock (SyncRoot)
        {
            if (_heartbeat.Mode != HeartbeatMode.AwaitPong)
            {
                return; // an unsolicited pong is harmless
            }

            _heartbeat.Mode = HeartbeatMode.SendPing;
            _server.Timers.Schedule(_heartbeat, _server.Options.PingInterval);
        }
    }

    private void OnPingV3(ReadOnlySpan<byte> data)
    {
        lock (SyncRoot)
        {
            _server.Timers.Schedule(_heartbeat, _server.Options.PingInterval + _server.Options.PingTimeout);
            Enqueue(new EnginePacket(EnginePacketType.Pong, data.ToArray()));
        }
    }

    private void OnHeartbeatTimer()
    {
        lock (SyncRoot)
        {
            if (State != EngineSessionState.Open && State != EngineSessionState.Closing)
            {
                return;
            }

            if (_heartbeat.Mode == HeartbeatMode.SendPing)
            {
                _heartbeat.Mode = HeartbeatMode.AwaitPong;
                _server.Timers.Schedule(_heartbeat, _server.Options.PingTimeout);
                _writeBuffer.Add(new EnginePacket(EnginePacketType.Ping));
                FlushLocked();
                return;
            }
        }

        CloseCore("ping timeout");
    }

    private sealed class HeartbeatTimer(EngineSession session) : TimerEntry
    {
        public HeartbeatMode Mode;

        protected internal override void OnTimer() => session.OnHeartbeatTimer();
    }
}
