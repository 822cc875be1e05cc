using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace FastIo.Transports.Sharding;

/// <summary>
/// One shard's scheduler: work items run one at a time, in order, in batches on a thread-pool thread (the shape of
/// Kestrel's IOQueue). Everything a session does in response to its own traffic — parsing, handlers, the send
/// drain — is scheduled here, so it never runs on two threads at once, and work that one item schedules for the
/// same shard (a handler's reply) runs in the same batch without another thread hop.
/// </summary>
internal sealed partial class ShardScheduler : PipeScheduler, IThreadPoolWorkItem
{
    [ThreadStatic]
    private static ShardScheduler? t_current;

    /// <summary>Set between <see cref="BeginInlineEntry"/> and <see cref="EndInlineEntry"/>.</summary>
    [ThreadStatic]
    private static bool t_inlineEntry;

    /// <summary>The shard this thread entered in place during the current inline-entry region, if any.</summary>
    [ThreadStatic]
    private static ShardScheduler? t_entered;

    private readonly ConcurrentQueue<WorkItem> _queue = new();
    private readonly ILogger _logger;
    private int _scheduled; // 1 while a batch is queued to or running on the thread pool

    public ShardScheduler(int index, ILogger logger)
    {
        Index = index;
        _logger = logger;
    }

    /// <summary>The shard's index, as encoded in the sids of its sessions.</summary>
    public int Index { get; }

    /// <summary>Whether the calling code runs in one of this shard's batches.</summary>
    public bool IsCurrent => t_current == this;

    /// <summary>The scheduler whose batch the calling code runs in, if any.</summary>
    public static ShardScheduler? Current => t_current;

    public override void Schedule(Action<object?> action, object? state)
    {
        _queue.Enqueue(new WorkItem(action, state));
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            System.Threading.ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Continues the awaiting method in this shard (at once when already there).</summary>
    public SwitchAwaitable SwitchTo() => new(this, alwaysYield: false);

    /// <summary>Continues the awaiting method in a later work item of this shard, even when already there.</summary>
    public SwitchAwaitable Yield() => new(this, alwaysYield: true);

    /// <summary>
    /// Awaits <paramref name="task"/> and continues in this shard. Whoever completes the task (a broadcast on
    /// another shard, a timer) only enqueues the continuation, however many sessions it completes.
    /// </summary>
    public ResumeAwaitable<T> After<T>(Task<T> task) => new(this, task);

    /// <summary>
    /// Runs <paramref name="action"/> on the calling thread as this shard's batch when the shard is idle and the
    /// caller is in no shard's batch — the socket thread that just received a connection's bytes then processes
    /// them itself, with no hop — and otherwise schedules it like <see cref="Schedule"/>.
    /// </summary>
    /// <remarks>Only for callers that hold no lock and can afford to run the whole batch (the socket receive loop).</remarks>
    public void RunOrSchedule(Action<object?> action, object? state)
    {
        if (t_current is null && Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
        {
            t_current = this;
            try
            {
                Run(new WorkItem(action, state));
                RunBatch();
            }
            finally
            {
                t_current = null;
            }

            return;
        }

        Schedule(action, state);
    }

    /// <summary>
    /// Opens a region in which <see cref="SwitchTo"/> enters an idle shard's batch right on the calling thread instead
    /// of scheduling the continuation: the socket thread that accepted a connection, or received the first request of
    /// one not routed to a shard yet, then handles it in place, as it does every later request (a thread-pool hop
    /// per new connection otherwise: a worker's wake-up and its spinning). Only for the socket layer's own callers,
    /// which hold no lock and can run a whole batch; every call must be paired with <see cref="EndInlineEntry"/> in a
    /// finally. No effect when the thread already runs a shard's batch.
    /// </summary>
    public static void BeginInlineEntry()
    {
        if (t_current is null)
        {
            t_inlineEntry = true;
        }
    }

    /// <summary>
    /// Closes the region of <see cref="BeginInlineEntry"/>: a shard entered in it runs what was queued meanwhile (work
    /// its own code scheduled, or other threads) and is released.
    /// </summary>
    public static void EndInlineEntry()
    {
        t_inlineEntry = false;
        if (t_entered is { } shard)
        {
            t_entered = null;
            try
            {
                shard.RunBatch();
            }
            finally
            {
                t_current = null;
            }
        }
    }

    /// <summary>Takes this shard for the calling thread when an inline-entry region allows it and the shard is idle.</summary>
    private bool TryEnterInline()
    {
        if (!t_inlineEntry || t_current is not null || Interlocked.CompareExchange(ref _scheduled, 1, 0) != 0)
        {
            return false;
        }

        t_current = this;
        t_entered = this;
        return true;
    }

    void IThreadPoolWorkItem.Execute()
    {
        var previous = t_current;
        t_current = this;
        try
        {
            RunBatch();
        }
        finally
        {
            t_current = previous;
        }
    }

    /// <summary>Runs what is queued until the queue is empty, then lets the shard go idle (the caller owns the flag).</summary>
    private void RunBatch()
    {
        while (true)
        {
            while (_queue.TryDequeue(out var item))
            {
                Run(item);
            }

            // A full fence, not a volatile write: the emptiness check below must not be read before the flag's drop is
            // visible to producers (x86 lets a later load pass an earlier store). With a plain release store, a
            // producer could enqueue, still see the flag set and queue nothing, while this batch had already read the
            // queue as empty: the item stayed queued and its connection stalled (a WebSocket echo waited forever for
            // its ack, once in 5-10 runs of WebSocketAllocationTests, on main before and after 2026-11-26).
            Interlocked.Exchange(ref _scheduled, 0);

            // Something enqueued after the last TryDequeue but before the flag dropped saw the flag set and did not
            // queue a batch: take it on here unless another batch was queued meanwhile.
            if (_queue.IsEmpty || Interlocked.CompareExchange(ref _scheduled, 1, 0) != 0)
            {
                return;
            }
        }
    }

    private void Run(in WorkItem item)
    {
        try
        {
            item.Action(item.State);
        }
        catch (Exception e)
        {
            // Continuations of pipes and async methods do not throw; anything else is a bug that must not stop the
            // shard (every session on it would hang) nor the process.
            Log.WorkItemFailed(_logger, e, Index);
        }
    }

    private readonly record struct WorkItem(Action<object?> Action, object? State);

    /// <summary>The awaitable of <see cref="SwitchTo"/> and <see cref="Yield"/>.</summary>
    public readonly struct SwitchAwaitable(ShardScheduler scheduler, bool alwaysYield) : ICriticalNotifyCompletion
    {
        /// <summary>True when already in the shard, or when it could be entered in place (see <see cref="BeginInlineEntry"/>).</summary>
        public bool IsCompleted => !alwaysYield && (scheduler.IsCurrent || scheduler.TryEnterInline());

        public SwitchAwaitable GetAwaiter() => this;

        public void GetResult()
        {
        }

        public void OnCompleted(Action continuation) => scheduler.Schedule(static c => ((Action)c!)(), continuation);

        public void UnsafeOnCompleted(Action continuation) => scheduler.Schedule(static c => ((Action)c!)(), continuation);
    }

    /// <summary>The awaitable of <see cref="After{T}"/>.</summary>
    public readonly struct ResumeAwaitable<T>(ShardScheduler scheduler, Task<T> task) : ICriticalNotifyCompletion
    {
        public bool IsCompleted => task.IsCompleted && scheduler.IsCurrent;

        public ResumeAwaitable<T> GetAwaiter() => this;

        public T GetResult() => task.GetAwaiter().GetResult();

        public void OnCompleted(Action continuation) => UnsafeOnCompleted(continuation);

        public void UnsafeOnCompleted(Action continuation) =>
            task.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(new Resume(scheduler, continuation).Run);
    }

    private sealed class Resume(ShardScheduler scheduler, Action continuation)
    {
        public void Run() => scheduler.Schedule(static c => ((Action)c!)(), continuation);
    }

    private static partial class Log
    {
        [LoggerMessage(60, LogLevel.Error, "A work item of shard {Shard} failed")]
        public static partial void WorkItemFailed(ILogger logger, Exception exception, int shard);
    }
}
