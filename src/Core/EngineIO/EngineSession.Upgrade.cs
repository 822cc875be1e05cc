using FastIo.Timers;

namespace FastIo.EngineIO;

/// <summary>
/// The upgrade from polling to WebSocket (engine.io-protocol v4 §"Upgrade"): the client probes the new
/// transport with <c>2probe</c>, gets <c>3probe</c>, its waiting GET is released with a noop, and <c>5</c>
/// switches the session over.
/// </summary>
public sealed partial class EngineSession
{
    private static readonly byte[] s_probe = "probe"u8.ToArray();

    /// <summary>Whether a WebSocket is currently trying to take over the session.</summary>
    internal bool IsUpgrading => _upgradingTransport is not null;

    /// <summary>Whether the WebSocket being upgraded to answered the probe, so the client is about to send <c>5</c>.</summary>
    internal bool IsUpgradeProbed => _probed;

    /// <summary>Starts an upgrade to <paramref name="transport"/>; false if the session cannot upgrade now.</summary>
    internal bool TryBeginUpgrade(EngineTransport transport)
    {
        lock (SyncRoot)
        {
            if (State != EngineSessionState.Open || _upgraded || _upgradingTransport is not null ||
                !_server.Options.AllowUpgrades || _transport.HandlesUpgrades)
            {
                return false;
            }

            transport.Session = this;
            _upgradingTransport = transport;
            _probed = false;
            _upgradeTimer ??= new UpgradeTimer(this);
            _server.Timers.Schedule(_upgradeTimer, _server.Options.UpgradeTimeout);
            return true;
        }
    }

    private void OnUpgradePacket(EngineTransport transport, EnginePacketType type, ReadOnlySpan<byte> data)
    {
        lock (SyncRoot)
        {
            if (transport != _upgradingTransport)
            {
                return;
            }

            if (type == EnginePacketType.Ping && data.SequenceEqual(s_probe))
            {
                transport.Send([new EnginePacket(EnginePacketType.Pong, s_probe)]);
                _probed = true;
                if (_transport.IsWritable)
                {
                    _transport.Send([new EnginePacket(EnginePacketType.Noop)]);
                }

                return;
            }

            if (type == EnginePacketType.Upgrade && _probed && State != EngineSessionState.Closed)
            {
                _server.Timers.Cancel(_upgradeTimer!);
                var polling = _transport;
                _upgradingTransport = null;
                _transport = transport;
                _upgraded = true;
                _probed = false;
                polling.Discard();
                FlushLocked();
                if (State == EngineSessionState.Closing)
                {
                    transport.Close();
                }

                return;
            }
        }

        // Anything else during an upgrade aborts it; the session stays on polling.
        CancelUpgrade(transport);
    }

    private void CancelUpgrade(EngineTransport transport)
    {
        lock (SyncRoot)
        {
            if (transport != _upgradingTransport)
            {
                return;
            }

            _upgradingTransport = null;
            _probed = false;
            if (_upgradeTimer is not null)
            {
                _server.Timers.Cancel(_upgradeTimer);
            }

            transport.Close();
        }
    }

    private sealed class UpgradeTimer(EngineSession session) : TimerEntry
    {
        protected internal override void OnTimer()
        {
            lock (session.SyncRoot)
            {
                var transport = session._upgradingTransport;
                if (transport is not null && !IsScheduled)
                {
                    session.CancelUpgrade(transport);
                }
            }
        }
    }
}
