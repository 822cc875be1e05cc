using System.IO.Pipelines;

namespace FastIo.Transports.Sharding;

/// <summary>
/// The reader scheduler of one connection's input pipe, retargeted to the shard of the session the connection
/// serves at the moment. A keep-alive connection carries requests of sessions on different shards, so the target
/// moves with each request; after a WebSocket upgrade it stays on the session's shard, and every frame's processing
/// then starts there without a hop.
/// </summary>
internal sealed class ConnectionScheduler : PipeScheduler
{
    private PipeScheduler _target = ThreadPool;

    /// <summary>Where the pipe's continuations run: the thread pool until a request names its shard.</summary>
    public PipeScheduler Target
    {
        get => Volatile.Read(ref _target);
        set => Volatile.Write(ref _target, value);
    }

    public override void Schedule(Action<object?> action, object? state) => Target.Schedule(action, state);
}
