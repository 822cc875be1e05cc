namespace FastIo.Transports.Http;

/// <summary>
/// A protocol that took an upgraded connection over (<see cref="HttpContext.HandOff"/>), such as a WebSocket, and
/// tells its end by a callback rather than a task: an idle WebSocket then holds no task, no async frame and no
/// continuation object for its host (S1, bench/RESULTS.md 2026-11-26 "receive callback").
/// </summary>
internal interface IUpgradedProtocol
{
    /// <summary>
    /// Calls <paramref name="callback"/> with <paramref name="state"/> once the protocol has ended and completed both
    /// halves of the transport, or at once when it already has.
    /// </summary>
    /// <exception cref="InvalidOperationException">Another callback is waiting for the end already.</exception>
    void OnEnded(Action<object?> callback, object? state);
}
