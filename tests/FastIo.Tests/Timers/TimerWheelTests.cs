using FastIo.Timers;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace FastIo.Tests.Timers;

public class TimerWheelTests
{
    private sealed class Probe : TimerEntry
    {
        public int Fired;

        protected internal override void OnTimer() => Fired++;
    }

    [Test]
    public void FiresAtOrAfterDueTimeNeverBefore()
    {
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(10), slotCount: 8);
        var probe = new Probe();
        wheel.Schedule(probe, TimeSpan.FromMilliseconds(95));
        time.Advance(TimeSpan.FromMilliseconds(90));
        Assert.That(probe.Fired, Is.Zero);
        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.That(probe.Fired, Is.EqualTo(1));
        Assert.That(probe.IsScheduled, Is.False);
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.That(probe.Fired, Is.EqualTo(1));
    }

    [Test]
    public void HandlesDelaysLongerThanOneTurnOfTheWheel()
    {
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(10), slotCount: 8);
        var probe = new Probe();
        wheel.Schedule(probe, TimeSpan.FromMilliseconds(1000)); // 100 ticks on an 8-slot wheel
        for (var i = 0; i < 99; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.That(probe.Fired, Is.Zero);
        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.That(probe.Fired, Is.EqualTo(1));
    }

    [Test]
    public void CancelAndRescheduleWork()
    {
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(10));
        var a = new Probe();
        var b = new Probe();
        wheel.Schedule(a, TimeSpan.FromMilliseconds(50));
        wheel.Schedule(b, TimeSpan.FromMilliseconds(50));
        Assert.That(wheel.Count, Is.EqualTo(2));
        Assert.That(wheel.Cancel(a), Is.True);
        Assert.That(wheel.Cancel(a), Is.False);
        wheel.Schedule(b, TimeSpan.FromMilliseconds(200)); // reschedule moves it
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.That(a.Fired + b.Fired, Is.Zero);
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.That(b.Fired, Is.EqualTo(1));
        Assert.That(wheel.Count, Is.Zero);
    }

    [Test]
    public void ManyEntriesInOneSlotAllFire()
    {
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(10), slotCount: 4);
        var probes = Enumerable.Range(0, 1000).Select(_ => new Probe()).ToArray();
        for (var i = 0; i < probes.Length; i++)
        {
            wheel.Schedule(probes[i], TimeSpan.FromMilliseconds(10 * (1 + (i % 20))));
        }

        time.Advance(TimeSpan.FromMilliseconds(200));
        Assert.That(probes.Sum(p => p.Fired), Is.EqualTo(1000));
    }

    [Test]
    public void WakesOnlyWhenSomethingIsDue()
    {
        var time = new CountingTimeProvider();
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(10));
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.That(time.Firings, Is.Zero, "an empty wheel must not tick");

        var probe = new Probe();
        wheel.Schedule(probe, TimeSpan.FromSeconds(25)); // a ping interval: more than two turns of the 1024 slots
        for (var i = 0; i < 2_600; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.That(probe.Fired, Is.EqualTo(1));
        Assert.That(time.Firings, Is.EqualTo(1), "one wake-up for one entry, not one per 10 ms tick");
    }

    [Test]
    public void AWheelIdleForADayStillFiresOnTimeAndNeverEarly()
    {
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(10));
        var first = new Probe();
        wheel.Schedule(first, TimeSpan.FromMilliseconds(20));
        time.Advance(TimeSpan.FromMilliseconds(20));
        Assert.That(first.Fired, Is.EqualTo(1));

        time.Advance(TimeSpan.FromDays(1)); // empty meanwhile: the next schedule skips the ticks slept through
        var probe = new Probe();
        wheel.Schedule(probe, TimeSpan.FromMilliseconds(50));
        time.Advance(TimeSpan.FromMilliseconds(40));
        Assert.That(probe.Fired, Is.Zero);
        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.That(probe.Fired, Is.EqualTo(1));
    }

    [Test]
    public void AnEarlierEntryRearmsTheTimer()
    {
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(10));
        var late = new Probe();
        var early = new Probe();
        wheel.Schedule(late, TimeSpan.FromSeconds(5));
        wheel.Schedule(early, TimeSpan.FromMilliseconds(50));
        time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.That(early.Fired, Is.EqualTo(1));
        Assert.That(late.Fired, Is.Zero);
        wheel.Schedule(late, TimeSpan.FromMilliseconds(20)); // moved earlier than it was armed for
        time.Advance(TimeSpan.FromMilliseconds(20));
        Assert.That(late.Fired, Is.EqualTo(1));
    }

    [Test]
    public void AnEntryScheduledByACallbackFires()
    {
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(10));
        var chained = new Probe();
        var first = new Callback(() => wheel.Schedule(chained, TimeSpan.FromMilliseconds(30)));
        wheel.Schedule(first, TimeSpan.FromMilliseconds(100));
        time.Advance(TimeSpan.FromMilliseconds(100));
        Assert.That(chained.Fired, Is.Zero);
        time.Advance(TimeSpan.FromMilliseconds(30));
        Assert.That(chained.Fired, Is.EqualTo(1));
    }

    [Test]
    public void RealTimeEntriesFireOnTime()
    {
        using var wheel = new TimerWheel(TimeProvider.System, TimeSpan.FromMilliseconds(10));
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = TimeProvider.System.GetTimestamp();
        wheel.Schedule(new Callback(() => fired.TrySetResult()), TimeSpan.FromMilliseconds(200));
        Assert.That(fired.Task.Wait(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(TimeProvider.System.GetElapsedTime(started), Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(200)));
    }

    private sealed class Callback(Action action) : TimerEntry
    {
        protected internal override void OnTimer() => action();
    }

    /// <summary>Counts how often the wheel's timer fires.</summary>
    private sealed class CountingTimeProvider : FakeTimeProvider
    {
        public int Firings;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            base.CreateTimer(
                s =>
                {
                    Firings++;
                    callback(s);
                },
                state,
                dueTime,
                period);
    }
}
