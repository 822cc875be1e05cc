using System.IO.Pipelines;

namespace FastIo.Transports.Hosting;

/// <summary>
/// A pipe reader whose pending read can be waited on with a static callback and a state object instead of an
/// awaiter, whose continuation takes a delegate or an async frame per waiting reader (<see cref="SocketInput"/>; the
/// WebSocket receive loop waits this way, bench/RESULTS.md 2026-11-26 "receive callback").
/// </summary>
internal interface IReadCallbackSource
{
    /// <summary>
    /// After <see cref="PipeReader.ReadAsync"/> returned a read that has not completed: calls
    /// <paramref name="continuation"/> with <paramref name="state"/> on the reader scheduler once it has, as awaiting
    /// the read would. The caller then takes the result with <see cref="GetPendingReadResult"/>.
    /// </summary>
    void OnPendingReadCompleted(Action<object?> continuation, object? state);

    /// <summary>The result of the pending read once it completed: what awaiting it returns, or throws.</summary>
    ReadResult GetPendingReadResult();
}
