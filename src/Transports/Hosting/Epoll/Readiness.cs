namespace FastIo.Transports.Hosting.Epoll;

/// <summary>
/// One direction of an edge-triggered descriptor (receive, send or accept): who runs the next attempt when an
/// attempt met EAGAIN while the event loop reported readiness on another thread.
/// </summary>
/// <remarks>
/// With edge-triggered epoll, readiness is reported once per change, so an edge that arrives while the owner is busy
/// (between its last attempt and its decision to wait) must not be lost: it is recorded as <see cref="Signaled"/> and
/// the owner's <see cref="TryWait"/> then fails, sending it back to try again. Exactly one party runs the owner's
/// side at a time: the owner while <see cref="Running"/> or <see cref="Signaled"/>, whoever moves it out of
/// <see cref="Waiting"/> or <see cref="Stopped"/> otherwise.
/// </remarks>
internal struct Readiness
{
    /// <summary>The owner is attempting (or about to).</summary>
    private const int Running = 0;

    /// <summary>The owner met EAGAIN and waits for the next edge, which runs it.</summary>
    private const int Waiting = 1;

    /// <summary>An edge (or a resume) came while the owner was running: its next wait or stop fails, and it tries again.</summary>
    private const int Signaled = 2;

    /// <summary>The owner stopped without waiting for an edge (backpressure, end of input); only a resume runs it again.</summary>
    private const int Stopped = 3;

    /// <summary>The descriptor is closed: nothing runs the owner any more.</summary>
    private const int Closed = 4;

    private int _state;

    /// <summary>Starts the owner out waiting: the first edge runs it (call before the descriptor is registered).</summary>
    public void StartWaiting() => Volatile.Write(ref _state, Waiting);

    /// <summary>The owner met EAGAIN: true when it may return (the next edge runs it); false when an edge came meanwhile, so it must try again.</summary>
    public bool TryWait() => TryLeaveRunning(Waiting);

    /// <summary>The owner stops until <see cref="Resume"/>: true when it may return; false when an edge or a resume came meanwhile.</summary>
    public bool TryStop() => TryLeaveRunning(Stopped);

    /// <summary>The owner ends for good (end of input, an error): later edges and resumes find it stopped and do nothing more than a resume does.</summary>
    public void Stop()
    {
        var state = Volatile.Read(ref _state);
        while (state is Running or Signaled)
        {
            var seen = Interlocked.CompareExchange(ref _state, Stopped, state);
            if (seen == state)
            {
                return;
            }

            state = seen;
        }
    }

    /// <summary>
    /// The loop reported readiness: true when the caller must now run the owner (it was waiting); otherwise the
    /// running owner will try again, or the owner is stopped or closed and the edge is not needed.
    /// </summary>
    public bool Signal() => Wake(fromStopped: false);

    /// <summary>
    /// The owner should run again although no edge came (the application caught up after backpressure, a close wants
    /// the rest discarded): true when the caller must now run it (it was stopped or waiting).
    /// </summary>
    public bool Resume() => Wake(fromStopped: true);

    /// <summary>Closes the state for good: true when the owner was waiting, in which case the caller must end its wait.</summary>
    public bool Close() => Interlocked.Exchange(ref _state, Closed) == Waiting;

    /// <summary>Claims a waiting owner (to end its wait otherwise than by an edge, e.g. a cancellation): true when claimed.</summary>
    public bool TryClaimWaiting() => Interlocked.CompareExchange(ref _state, Running, Waiting) == Waiting;

    private bool TryLeaveRunning(int next)
    {
        var seen = Interlocked.CompareExchange(ref _state, next, Running);
        if (seen == Running)
        {
            return true;
        }

        if (seen == Signaled)
        {
            // Consume the signal: the owner tries once more, which covers whatever the edge announced.
            Interlocked.CompareExchange(ref _state, Running, Signaled);
            return false;
        }

        return true; // closed under the owner: nothing will run it again, and nothing needs to
    }

    private bool Wake(bool fromStopped)
    {
        var state = Volatile.Read(ref _state);
        while (true)
        {
            int next;
            switch (state)
            {
                case Waiting:
                    next = Running;
                    break;
                case Stopped when fromStopped:
                    next = Running;
                    break;
                case Running:
                    next = Signaled;
                    break;
                default:
                    return false; // already signaled, stopped (an edge does not undo backpressure) or closed
            }

            var seen = Interlocked.CompareExchange(ref _state, next, state);
            if (seen == state)
            {
                return next == Running;
            }

            state = seen;
        }
    }
}
