using FastIo.Transports.Http;

namespace FastIo.Tests.Http;

/// <summary>An upgraded protocol that is a task: it has ended when the task has completed.</summary>
internal sealed class TaskProtocol(Task task) : IUpgradedProtocol
{
    public Task Task { get; } = task;

    private int _registered;

    public void OnEnded(Action<object?> callback, object? state)
    {
        if (Interlocked.Exchange(ref _registered, 1) != 0)
        {
            throw new InvalidOperationException("Another end callback is waiting already.");
        }

        Task.ContinueWith(_ => callback(state), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }
}
