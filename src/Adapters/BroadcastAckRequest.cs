using FastIo.SocketIO;

namespace FastIo.Adapters.Redis;

/// <summary>
/// An acknowledged broadcast across the cluster. The operator's gatherer completes as soon as it holds a count and
/// as many replies, so per-server counts cannot go to it one by one (this server's 0 would complete it before the
/// others report). One client count arrives per server, this one's included, and the sum is handed on once every
/// server counted by PUBSUB NUMSUB has reported, as socket.io's broadcast operator does with its per-server counts.
/// A local target that leaves without answering reports −1: that adjusts the sum, and is passed straight on once
/// the sum was handed over. Acks are passed on as they come; the operator fails at its own timeout otherwise.
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
        var passOn = false;
        lock (_lock)
        {
            if (count < 0 && _reported)
            {
                passOn = true; // after the hand-over the gatherer itself subtracts a departure
            }
            else
            {
                _reports += count >= 0 ? 1 : 0;
                _total += count;
            }
        }

        if (passOn)
        {
            _onClientCount(count);
            return;
        }

        TryReport();
    }

    /// <summary>
    /// Learns how many servers will report (PUBSUB NUMSUB), then keeps the request routable for the acknowledgements'
    /// timeout plus a margin before <paramref name="forget"/> drops it. Shared by the classic and the sharded adapter.
    /// </summary>
    public async Task CountServersThenForgetAsync(Func<ValueTask<int>> serverCount, Action forget, TimeSpan timeout, TimeProvider time)
    {
        try
        {
            SetServerCount(await serverCount().ConfigureAwait(false));
        }
        catch (TimeoutException)
        {
            // Redis is away: the count never completes and the operator fails at its own timeout.
        }

        await Task.Delay(timeout + TimeSpan.FromSeconds(1), time).ConfigureAwait(false);
        forget();
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
