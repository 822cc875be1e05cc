namespace FastIo.LoadGen;

/// <summary>Counts broadcast deliveries across all receivers and wakes the controller when a target is reached.</summary>
internal sealed class BroadcastSink : ClientSink
{
    private long _delivered;
    private long _target = long.MaxValue;
    private TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Delivered => Volatile.Read(ref _delivered);

    /// <summary>Completes once <paramref name="target"/> deliveries have arrived since the start.</summary>
    public Task ExpectAsync(long target)
    {
        _reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _target, target);
        if (Delivered >= target)
        {
            _reached.TrySetResult();
        }

        return _reached.Task;
    }

    public override void OnEvent(WsClient client)
    {
        if (Interlocked.Increment(ref _delivered) >= Volatile.Read(ref _target))
        {
            _reached.TrySetResult();
        }
    }
}
