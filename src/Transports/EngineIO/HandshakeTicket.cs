using FastIo.EngineIO;

namespace FastIo.Transports.EngineIO;

/// <summary>
/// A handshake counted against the shard it was routed to (<see cref="EngineMetrics.BeginHandshake"/>) until its
/// session exists or the request ends without one; ending it twice is harmless.
/// </summary>
internal sealed class HandshakeTicket(EngineMetrics metrics)
{
    private int _ended;

    public int Shard { get; } = metrics.BeginHandshake();

    public void End()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0)
        {
            metrics.EndHandshake(Shard);
        }
    }
}
