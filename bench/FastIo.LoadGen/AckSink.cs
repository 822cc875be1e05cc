using System.Diagnostics;

namespace FastIo.LoadGen;

/// <summary>
/// Counts acks, records their latency from the send time the client stamped, and (closed loop) sends the next
/// message from the receive path while a budget lasts.
/// </summary>
internal sealed class AckSink : ClientSink
{
    private readonly LogLinearHistogram _latency;
    private readonly long _expected;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _received;
    private long _budget;

    /// <param name="expected">Acks after which <see cref="Done"/> completes.</param>
    /// <param name="closedLoopBudget">Messages still to send, one per ack received (0: open loop).</param>
    public AckSink(LogLinearHistogram latency, long expected, long closedLoopBudget = 0)
    {
        _latency = latency;
        _expected = expected;
        _budget = closedLoopBudget;
    }

    public Task Done => _done.Task;

    public long Received => Volatile.Read(ref _received);

    /// <summary>The number right after the '[' of the last ack (the stats reply).</summary>
    public long LastNumber { get; private set; }

    public override void OnAck(WsClient client, long ackId, ReadOnlySpan<byte> prefix)
    {
        long now = Stopwatch.GetTimestamp();
        long sequence = ackId - WsFrames.AckIdBase;
        if (sequence >= 0)
        {
            long sent = client.SendTimes[sequence & (WsClient.RingSize - 1)];
            _latency.Record((long)((now - sent) * (1e9 / Stopwatch.Frequency)));
        }

        int bracket = prefix.IndexOf((byte)'[');
        if (bracket >= 0)
        {
            long number = 0;
            for (int i = bracket + 1; i < prefix.Length && (uint)(prefix[i] - '0') <= 9; i++)
            {
                number = (number * 10) + (prefix[i] - '0');
            }

            LastNumber = number;
        }

        if (Interlocked.Decrement(ref _budget) >= 0)
        {
            client.QueueWithAck(now);
        }

        if (Interlocked.Increment(ref _received) == _expected)
        {
            _done.TrySetResult();
        }
    }
}
