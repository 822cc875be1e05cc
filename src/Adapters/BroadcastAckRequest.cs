using FastIo.SocketIO;

namespace FastIo.Adapters.Redis;

/// <summary>
/// An acknowledged broadcast across the cluster. The seam reports the expected number of replies once; here one
/// client count arrives per server (this one's included), so the total is handed on only when every server counted
/// by PUBSUB NUMSUB has reported — as socket.io's broadcast operator adds up its per-server counts. Acks are passed
/// on as they come; the operator completes when their number reaches the total, or fails at its timeout.
/// </summary>
internal sealed class BroadcastAckRequest
{
    private readonly Action<int> _onClientCount;
    private readonly Action<SocketArgs> _onAck;
    private readonly Lock _lock = new();
    private int _servers = -1;
    private int _reports;
    private int _total;
    private bool _reported;

    public BroadcastAckRequest(Action<int> onClientCount, Action<SocketArgs> onAck)
    {
        _onClientCount = onClientCount;
        _onAck = onAck;
    }

    public void OnAck(SocketArgs reply) => _onAck(reply);

    public void AddClientCount(int count)
    {
        lock (_lock)
        {
            _reports++;
            _total += count;
        }

        TryReport();
    }

    public void SetServerCount(int servers)
    {
        lock (_lock)
        {
            _servers = Math.Max(1, servers);
        }

        TryReport();
    }

    private void TryReport()
    {
        int total;
        lock (_lock)
        {
            if (_reported || _servers < 0 || _reports < _servers)
            {
                return;
            }

            _reported = true;
            total = _total;
        }

        _onClientCount(total);
    }
}
