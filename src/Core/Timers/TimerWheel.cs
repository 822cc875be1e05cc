namespace FastIo.Timers;

/// <summary>
/// A hashed timer wheel: one <see cref="ITimer"/> for every timeout of a server (heartbeats, upgrade and
/// close timeouts) instead of one timer per session, which costs memory and kernel timers per connection.
/// </summary>
/// <remarks>
/// <para>Time advances in ticks of <see cref="Resolution"/>; an entry fires on the first tick at or after its due
/// time, so it may run up to one tick late and never early. Callbacks run outside the lock, in due order per
/// tick, on the timer's thread.</para>
/// <para>The timer is armed only for the next tick that has something due, never periodically: a wheel whose
/// entries are all far off (25 s heartbeats, 45 s connect timeouts) does not wake a thread-pool worker 100 times a
/// second. On a small core count each such wake-up also cost a worker's spinning in the thread pool, interleaved
/// with the socket thread (bench/RESULTS.md 2026-11-25 "httppath": S2 11 context switches per connect, 85 → 125 µs
/// of server CPU per connect with the wheels ticking).</para>
/// </remarks>
internal sealed class TimerWheel : IDisposable
{
    /// <summary><see cref="_armedTick"/> while <see cref="Advance"/> runs: it arms the timer itself when done.</summary>
    private const long Advancing = long.MinValue;

    /// <summary><see cref="_armedTick"/> when nothing is scheduled.</summary>
    private const long Disarmed = long.MaxValue;

    /// <summary>
    /// A timer is never armed closer than this: a real timer has millisecond granularity anyway, and a zero due time
    /// could run the callback synchronously (a fake time provider's timer may) while the wheel's lock is held.
    /// </summary>
    private static readonly TimeSpan s_minimumDelay = TimeSpan.FromMilliseconds(1);

    private static readonly TimeSpan s_maximumDelay = TimeSpan.FromDays(1);

    private readonly Lock _lock = new();
    private readonly TimerEntry?[] _slots;
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private readonly ITimer _timer;
    private readonly List<TimerEntry> _expired = new();
    private long _currentTick;
    private long _armedTick = Disarmed;
    private int _count;

    public TimerWheel(TimeProvider time, TimeSpan resolution, int slotCount = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(resolution, TimeSpan.Zero);
        _time = time;
        Resolution = resolution;
        _slots = new TimerEntry?[slotCount];
        _startTimestamp = time.GetTimestamp();
        _timer = time.CreateTimer(static s => ((TimerWheel)s!).Advance(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public TimeSpan Resolution { get; }

    /// <summary>Entries currently scheduled.</summary>
    public int Count => _count;

    /// <summary>Schedules (or reschedules) <paramref name="entry"/> to fire after <paramref name="delay"/>.</summary>
    public void Schedule(TimerEntry entry, TimeSpan delay)
    {
        var ticks = (long)Math.Ceiling(delay.Ticks / (double)Resolution.Ticks);
        lock (_lock)
        {
            if (entry.Slot >= 0)
            {
                Unlink(entry);
            }

            // Measured from now, not from the last processed tick, so that a late tick never fires early.
            entry.DueTick = Math.Max(ElapsedTicks() + Math.Max(ticks, 1), _currentTick + 1);
            var slot = (int)(entry.DueTick % _slots.Length);
            entry.Slot = slot;
            entry.Previous = null;
            entry.Next = _slots[slot];
            if (entry.Next is not null)
            {
                entry.Next.Previous = entry;
            }

            _slots[slot] = entry;
            _count++;
            if (entry.DueTick < _armedTick && _armedTick != Advancing)
            {
                ArmLocked(entry.DueTick);
            }
        }
    }

    /// <summary>Cancels <paramref name="entry"/>; returns false if it was not scheduled (already fired or never scheduled).</summary>
    public bool Cancel(TimerEntry entry)
    {
        lock (_lock)
        {
            if (entry.Slot < 0)
            {
                return false;
            }

            Unlink(entry);
            return true;
        }
    }

    private long ElapsedTicks() => _time.GetElapsedTime(_startTimestamp).Ticks / Resolution.Ticks;

    private void Unlink(TimerEntry entry)
    {
        if (entry.Previous is null)
        {
            _slots[entry.Slot] = entry.Next;
        }
        else
        {
            entry.Previous.Next = entry.Next;
        }

        if (entry.Next is not null)
        {
            entry.Next.Previous = entry.Previous;
        }

        entry.Next = entry.Previous = null;
        entry.Slot = -1;
        _count--;
    }

    private void Advance()
    {
        // Only one Advance runs at a time. The timer is re-armed only when an Advance ends, so another one can only
        // start early, from a timer that fired while this one ran callbacks; what it would have done happens below.
        if (!Monitor.TryEnter(_expired))
        {
            return;
        }

        try
        {
            while (true)
            {
                lock (_lock)
                {
                    var target = ElapsedTicks();
                    if (target - _currentTick > _slots.Length)
                    {
                        // Woken after more than a turn (the timer fired late, e.g. after a suspend): one walk over
                        // every slot instead of one per elapsed tick, then in due order as usual.
                        for (var slot = 0; slot < _slots.Length; slot++)
                        {
                            CollectExpired(slot, target);
                        }

                        _expired.Sort(static (a, b) => a.DueTick.CompareTo(b.DueTick));
                        _currentTick = target;
                    }

                    while (_currentTick < target)
                    {
                        _currentTick++;
                        CollectExpired((int)(_currentTick % _slots.Length), _currentTick);
                    }

                    if (_expired.Count == 0)
                    {
                        // Nothing (more) due now: sleep until the next entry is.
                        _armedTick = Disarmed;
                        if (NextDueTickLocked() is { } next)
                        {
                            ArmLocked(next);
                        }

                        return;
                    }

                    // Entries scheduled while the callbacks run are seen by the next round of this loop.
                    _armedTick = Advancing;
                }

                foreach (var entry in _expired)
                {
                    try
                    {
                        entry.OnTimer();
                    }
                    catch (Exception)
                    {
                        // A failing callback must not stop the wheel for every other session.
                    }
                }

                _expired.Clear();
            }
        }
        finally
        {
            Monitor.Exit(_expired);
        }
    }

    /// <summary>
    /// The earliest due tick of all entries. Every entry is due after <see cref="_currentTick"/> (earlier ones were
    /// collected), so the first slot of the coming turn that holds an entry due in this turn has the answer;
    /// when no entry is due within a turn, the minimum over all of them (the walk has seen every slot by then).
    /// </summary>
    private long? NextDueTickLocked()
    {
        if (_count == 0)
        {
            return null;
        }

        var earliest = long.MaxValue;
        for (var tick = _currentTick + 1; tick <= _currentTick + _slots.Length; tick++)
        {
            for (var entry = _slots[(int)(tick % _slots.Length)]; entry is not null; entry = entry.Next)
            {
                if (entry.DueTick == tick)
                {
                    return tick;
                }

                earliest = Math.Min(earliest, entry.DueTick);
            }
        }

        return earliest;
    }

    /// <summary>Arms the timer for <paramref name="dueTick"/> (under the lock, so that arming decisions stay ordered).</summary>
    private void ArmLocked(long dueTick)
    {
        _armedTick = dueTick;

        // At most a day ahead (ITimer takes at most ~49 days): waking early is harmless, Advance arms again.
        var elapsed = _time.GetElapsedTime(_startTimestamp);
        var delay = dueTick - (elapsed.Ticks / Resolution.Ticks) >= s_maximumDelay.Ticks / Resolution.Ticks
            ? s_maximumDelay
            : TimeSpan.FromTicks(dueTick * Resolution.Ticks) - elapsed;
        _timer.Change(delay < s_minimumDelay ? s_minimumDelay : delay, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Moves the entries of <paramref name="slot"/> due at or before <paramref name="tick"/> to <see cref="_expired"/>.</summary>
    private void CollectExpired(int slot, long tick)
    {
        var entry = _slots[slot];
        while (entry is not null)
        {
            var next = entry.Next;
            if (entry.DueTick <= tick)
            {
                Unlink(entry);
                _expired.Add(entry);
            }

            entry = next;
        }
    }

    public void Dispose() => _timer.Dispose();
}
