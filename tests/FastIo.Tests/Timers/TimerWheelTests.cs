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

    /// <summary>Counts how often the wheel's timer actually calls back (each call is a thread-pool work item in production).</summary>
    private sealed class CountingTimeProvider(FakeTimeProvider inner) : TimeProvider
    {
        public int Callbacks;

        /// <summary>Moves the clock the wheel reads without firing any timer, as a suspended machine's clock moves.</summary>
        public TimeSpan Jump;

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override long GetTimestamp() => inner.GetTimestamp() + (long)(Jump.TotalSeconds * inner.TimestampFrequency);

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            inner.CreateTimer(s => { Callbacks++; callback(s); }, state, dueTime, period);
    }

    private sealed class Recorder(List<string> log, string name) : TimerEntry
    {
        protected internal override void OnTimer() => log.Add(name);
    }

    /// <summary>Reschedules itself from its own callback, as a session's heartbeat does.</summary>
    private sealed class Periodic(TimerWheel wheel, TimeSpan period) : TimerEntry
    {
        public int Fired;

        protected internal override void OnTimer()
        {
            Fired++;
            wheel.Schedule(this, period);
        }
    }

    [Test]
    public void SleepsUntilTheNextDueEntryInsteadOfTicking()
    {
        var fake = new FakeTimeProvider();
        var time = new CountingTimeProvider(fake);
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(10));
        fake.Advance(TimeSpan.FromSeconds(3));
        Assert.That(time.Callbacks, Is.Zero, "an empty wheel never wakes");

        var probe = new Probe();
        wheel.Schedule(probe, TimeSpan.FromSeconds(10));
        for (var i = 0; i < 999; i++)
        {
            fake.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.That((probe.Fired, time.Callbacks), Is.EqualTo((0, 0)), "nothing due for 10 s: no wake-up at all");
        fake.Advance(TimeSpan.FromMilliseconds(10));
        Assert.That((probe.Fired, time.Callbacks), Is.EqualTo((1, 1)));
        fake.Advance(TimeSpan.FromMinutes(5));
        Assert.That(time.Callbacks, Is.EqualTo(1), "empty again: asleep again");
    }

    [Test]
    public void AnEarlierEntryRearmsTheTimerAndALaterOneStillFires()
    {
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(10));
        var log = new List<string>();
        wheel.Schedule(new Recorder(log, "late"), TimeSpan.FromSeconds(1));
        wheel.Schedule(new Recorder(log, "early"), TimeSpan.FromMilliseconds(50));
        time.Advance(TimeSpan.FromMilliseconds(50));
        Assert.That(log, Is.EqualTo(new[] { "early" }));
        time.Advance(TimeSpan.FromMilliseconds(940));
        Assert.That(log, Is.EqualTo(new[] { "early" }));
        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.That(log, Is.EqualTo(new[] { "early", "late" }));
    }

    [Test]
    public void CancellingTheEarliestEntryLeavesTheNextOnTime()
    {
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(10), slotCount: 8);
        var first = new Probe();
        var second = new Probe();
        wheel.Schedule(first, TimeSpan.FromMilliseconds(30));
        wheel.Schedule(second, TimeSpan.FromMilliseconds(500)); // several turns of an 8-slot wheel later
        wheel.Cancel(first);
        time.Advance(TimeSpan.FromMilliseconds(490));
        Assert.That(second.Fired, Is.Zero);
        time.Advance(TimeSpan.FromMilliseconds(10));
        Assert.That((first.Fired, second.Fired), Is.EqualTo((0, 1)));
    }

    [Test]
    public void AnEntryThatReschedulesItselfKeepsFiring()
    {
        var time = new FakeTimeProvider();
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(10), slotCount: 16);
        var heartbeat = new Periodic(wheel, TimeSpan.FromMilliseconds(300));
        wheel.Schedule(heartbeat, TimeSpan.FromMilliseconds(300));
        for (var i = 0; i < 300; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
        }

        Assert.That(heartbeat.Fired, Is.EqualTo(10));
    }

    [Test]
    public void AWakeUpLongAfterTheDueTimesFiresEverythingOnceInDueOrder()
    {
        var fake = new FakeTimeProvider();
        var time = new CountingTimeProvider(fake);
        using var wheel = new TimerWheel(time, TimeSpan.FromMilliseconds(10), slotCount: 8);
        var log = new List<string>();
        wheel.Schedule(new Recorder(log, "b"), TimeSpan.FromMilliseconds(70));
        wheel.Schedule(new Recorder(log, "a"), TimeSpan.FromMilliseconds(20));
        wheel.Schedule(new Recorder(log, "c"), TimeSpan.FromMilliseconds(100)); // a later turn: same slot as "a"
        wheel.Schedule(new Recorder(log, "later"), TimeSpan.FromSeconds(60));
        time.Jump = TimeSpan.FromSeconds(30);
        fake.Advance(TimeSpan.FromMilliseconds(20)); // the timer armed for "a" fires 30 s late
        Assert.That(log, Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That((wheel.Count, time.Callbacks), Is.EqualTo((1, 1)));
        fake.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromMilliseconds(30));
        Assert.That(log, Has.Count.EqualTo(3));
        fake.Advance(TimeSpan.FromMilliseconds(10));
        Assert.That(log, Is.EqualTo(new[] { "a", "b", "c", "later" }));
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
}
