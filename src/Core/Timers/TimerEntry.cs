namespace FastIo.Timers;

/// <summary>
/// One scheduled callback of a <see cref="TimerWheel"/>. Entries are intrusive list nodes, so scheduling
/// and cancelling allocate nothing; an entry is scheduled at most once at a time.
/// </summary>
internal abstract class TimerEntry
{
    internal TimerEntry? Next;
    internal TimerEntry? Previous;
    internal long DueTick;
    internal int Slot = -1;

    /// <summary>True while the entry waits in a wheel.</summary>
    public bool IsScheduled => Slot >= 0;

    /// <summary>Runs on the wheel's timer thread, outside the wheel's lock.</summary>
    protected internal abstract void OnTimer();
}
