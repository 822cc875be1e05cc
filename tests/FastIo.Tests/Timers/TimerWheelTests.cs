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
}
