namespace FastIo.Timers;

/// <summary>
/// A hashed timer wheel: one <see cref="ITimer"/> for every timeout of a server (heartbeats, upgrade and
/// close timeouts) instead of one timer per session, which costs memory and kernel timers per connection.
/// </summary>
/// <remarks>
/// Time advances in ticks of <see cref="Resolution"/>; an entry fires on the first tick at or after its due
/// time, so it may run up to one tick late and never early. Callbacks run outside the lock, in due order per
/// tick, on the timer's thread. The timer is armed for the next tick that has something due, not every tick:
/// an idle server (or one whose sessions all ping in 25 s) is not woken a hundred times a second, each wake-up
/// costing a thread-pool worker that then spins on a core the sockets need.
/// </remarks>
internal sealed class TimerWheel : IDisposable
{
    private readonly Lock _lock = new();
    private readonly TimerEntry?[] _slots;
    private readonly TimeProvider _time;
    private readonly long _startTimestamp;
    private readonly ITimer _timer;
    private readonly List<TimerEntry> _expired = new();
    private long _currentTick;
    private long _armedTick = long.MaxValue; // the tick the timer fires for; MaxValue while disarmed
    private int _count;
    private int _advanceRequested; // a firing that found another Advance running asks it to go round again

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

            var now = ElapsedTicks();
            if (_count == 0 && _currentTick < now)
            {
                // Nothing waits, so the ticks this wheel slept through hold nothing: skip them rather than have the
                // next Advance visit each one (a day idle at 10 ms is 8.6 million slots).
                _currentTick = now;
            }

            // Measured from now, not from the last processed tick, so that a late tick never fires early.
            entry.DueTick = Math.Max(now + Math.Max(ticks, 1), _currentTick + 1);
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
            if (entry.DueTick < _armedTick)
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
        // Only one Advance runs at a time (ITimer callbacks can overlap when one runs long); a firing that finds one
        // running leaves the work to it, so nothing due is skipped.
        Volatile.Write(ref _advanceRequested, 1);
        while (Volatile.Read(ref _advanceRequested) != 0 && Monitor.TryEnter(_expired))
        {
            try
            {
                AdvanceWhileRequested();
            }
            finally
            {
                Monitor.Exit(_expired);
            }

            // Re-checked after releasing: a firing that came between the last round and the release went unserved.
            // The fence keeps the re-check from being read before the release is visible (a later load may pass an
            // earlier store): otherwise a firing could find the monitor still held while this thread had already
            // read no request, and its advance would wait for the next firing (as ShardScheduler's batch flag did).
            Interlocked.MemoryBarrier();
        }
    }

    private void AdvanceWhileRequested()
    {
        while (Interlocked.Exchange(ref _advanceRequested, 0) != 0)
        {
            lock (_lock)
            {
                // Disarmed while collecting and firing: an entry scheduled by a callback arms the timer itself.
                _armedTick = long.MaxValue;
                var target = ElapsedTicks();
                while (_currentTick < target)
                {
                    _currentTick++;
                    CollectExpired(_currentTick);
                }
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
            lock (_lock)
            {
                var next = NextDueTickLocked();
                if (next < _armedTick)
                {
                    ArmLocked(next);
                }
            }
        }
    }

    /// <summary>
    /// The earliest tick with an entry due, scanning the slots after the current tick in order: with entries spread
    /// over the wheel the first non-empty slot ends the scan. Only when no entry is due within one turn does it read
    /// every slot (the wheel is then sparse), returning the earliest due tick seen; MaxValue when empty.
    /// </summary>
    private long NextDueTickLocked()
    {
        if (_count == 0)
        {
            return long.MaxValue;
        }

        long earliest = long.MaxValue;
        for (long tick = _currentTick + 1; tick <= _currentTick + _slots.Length; tick++)
        {
            for (var entry = _slots[(int)(tick % _slots.Length)]; entry is not null; entry = entry.Next)
            {
                if (entry.DueTick <= tick)
                {
                    return tick;
                }

                earliest = Math.Min(earliest, entry.DueTick);
            }
        }

        return earliest;
    }

    private void ArmLocked(long tick)
    {
        _armedTick = tick;
        // Whole milliseconds, rounded up: timers count in milliseconds, and a firing before the tick's boundary
        // would find nothing due and re-arm for the sub-millisecond rest again and again.
        var due = (tick * Resolution.Ticks) - _time.GetElapsedTime(_startTimestamp).Ticks;
        var milliseconds = due <= 0 ? 0 : (due + TimeSpan.TicksPerMillisecond - 1) / TimeSpan.TicksPerMillisecond;
        _timer.Change(TimeSpan.FromMilliseconds(milliseconds), Timeout.InfiniteTimeSpan);
    }

    private void CollectExpired(long tick)
    {
        var slot = (int)(tick % _slots.Length);
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
