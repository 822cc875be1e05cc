namespace FastIo.Timers;

/// <summary>
/// A hashed timer wheel: one <see cref="ITimer"/> for every timeout of a server (heartbeats, upgrade and
/// close timeouts) instead of one timer per session, which costs memory and kernel timers per connection.
/// </summary>
/// <remarks>
/// Time advances in ticks of <see cref="Resolution"/>; an entry fires on the first tick at or after its due
/// time, so it may run up to one tick late and never early. Callbacks run outside the lock, in due order per
/// tick, on the timer's thread.
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
    private int _count;

    public TimerWheel(TimeProvider time, TimeSpan resolution, int slotCount = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(resolution, TimeSpan.Zero);
        _time = time;
        Resolution = resolution;
        _slots = new TimerEntry?[slotCount];
        _startTimestamp = time.GetTimestamp();
        _timer = time.CreateTimer(static s => ((TimerWheel)s!).Advance(), this, resolution, resolution);
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
        // Only one Advance runs at a time: ITimer callbacks can overlap when one runs long.
        if (!Monitor.TryEnter(_expired))
        {
            return;
        }

        try
        {
            lock (_lock)
            {
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
        }
        finally
        {
            Monitor.Exit(_expired);
        }
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
