using System.Threading.Tasks.Sources;

namespace FastIo.Transports.Hosting.Epoll;

/// <summary>
/// A reusable wait for one edge (a send waiting for room, an accept waiting for a connection), completed by whoever
/// claimed the waiting side of its <see cref="Readiness"/>: the event loop, a cancellation or a close. Continuations
/// run on the completing thread — the event loop's, like the receive path's processing — so that resuming a send
/// costs no thread hop.
/// </summary>
internal sealed class EpollWaiter : IValueTaskSource<bool>
{
    private ManualResetValueTaskSourceCore<bool> _core; // RunContinuationsAsynchronously stays false: inline

    /// <summary>Prepares the next wait; call before the owner publishes that it waits.</summary>
    public void Reset() => _core.Reset();

    /// <summary>The wait, to await once.</summary>
    public ValueTask<bool> Task => new(this, _core.Version);

    /// <summary>Ends the wait: true when the edge came, false when the descriptor closed.</summary>
    public void SetResult(bool ready) => _core.SetResult(ready);

    /// <summary>Ends the wait with an error (a cancellation).</summary>
    public void SetException(Exception error) => _core.SetException(error);

    bool IValueTaskSource<bool>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
