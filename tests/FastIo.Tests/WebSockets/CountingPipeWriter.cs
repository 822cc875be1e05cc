using System.IO.Pipelines;

namespace FastIo.Tests.WebSockets;

/// <summary>Wraps the server's output to count flushes and optionally hold them at a gate.</summary>
internal sealed class CountingPipeWriter(PipeWriter inner) : PipeWriter
{
    private int _flushCount;

    public int FlushCount => Volatile.Read(ref _flushCount);

    /// <summary>When set, every flush waits for it before reaching the real pipe.</summary>
    public TaskCompletionSource? Gate { get; set; }

    /// <summary>Completed on the first flush that reaches the gate.</summary>
    public TaskCompletionSource FirstFlushStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Advance(int bytes) => inner.Advance(bytes);

    public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

    public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

    public override void CancelPendingFlush() => inner.CancelPendingFlush();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override async ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _flushCount);
        FirstFlushStarted.TrySetResult();
        if (Gate is { } gate)
        {
            await gate.Task.ConfigureAwait(false);
        }

        return await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
