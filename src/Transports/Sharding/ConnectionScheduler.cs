using System.IO.Pipelines;

namespace FastIo.Transports.Sharding;

/// <summary>
/// The reader scheduler of one connection's input, retargeted to the shard of the session the connection
/// serves at the moment. A keep-alive connection carries requests of sessions on different shards, so the target
/// moves with each request; after a WebSocket upgrade it stays on the session's shard, and every frame's processing
/// then starts there without a hop.
/// </summary>
internal sealed class ConnectionScheduler : PipeScheduler
{
    /// <summary>Set by a socket receive loop around the synchronous part of its input flush; consumed by one Schedule.</summary>
    [ThreadStatic]
    private static bool t_inlineOnce;

    private PipeScheduler _target = ThreadPool;

    /// <summary>Where the input's read continuations run: the thread pool until a request names its shard.</summary>
    public PipeScheduler Target
    {
        get => Volatile.Read(ref _target);
        set => Volatile.Write(ref _target, value);
    }

    /// <summary>
    /// Lets the next continuation this thread schedules on a connection's input run inline: call it right before the
    /// receive loop hands a receive to the input (which schedules the waiting reader) and
    /// <see cref="EndInlineFlush"/> right after. The socket thread then parses, runs handlers and drains sends itself
    /// (as the shard's batch) instead of handing every message to another thread.
    /// </summary>
    public static void BeginInlineFlush() => t_inlineOnce = true;

    /// <summary>Ends <see cref="BeginInlineFlush"/> (whether or not a continuation was scheduled).</summary>
    public static void EndInlineFlush() => t_inlineOnce = false;

    public override void Schedule(Action<object?> action, object? state)
    {
        var target = Target;
        if (t_inlineOnce)
        {
            // One-shot: anything the inline work schedules on other connections takes the ordinary path.
            t_inlineOnce = false;
            if (target is ShardScheduler shard)
            {
                shard.RunOrSchedule(action, state);
                return;
            }

            if (ReferenceEquals(target, ThreadPool))
            {
                // Not routed yet (the first request's head): parse it right here; the request then moves to its shard,
                // entering it in place when it is idle.
                ShardScheduler.BeginInlineEntry();
                try
                {
                    action(state);
                }
                finally
                {
                    ShardScheduler.EndInlineEntry();
                }

                return;
            }
        }

        target.Schedule(action, state);
    }
}
