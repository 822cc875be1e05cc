using FastIo.Transports.Sharding;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace FastIo.Tests.Sharding;

[TestFixture]
public class ShardSchedulerTests
{
    [Test]
    public async Task WorkFromManyThreadsRunsOneItemAtATimeInOrderPerProducer()
    {
        var shard = new ShardScheduler(0, NullLogger.Instance);
        const int Producers = 8;
        const int Items = 20_000;
        var running = 0;
        var overlaps = 0;
        var notCurrent = 0;
        var lastSeen = new int[Producers];
        var outOfOrder = 0;
        var done = new CountdownEvent(Producers * Items);
        var producers = Enumerable.Range(0, Producers).Select(p => Task.Run(() =>
        {
            for (var i = 1; i <= Items; i++)
            {
                var item = i;
                shard.Schedule(_ =>
                {
                    if (Interlocked.Increment(ref running) != 1)
                    {
                        Interlocked.Increment(ref overlaps);
                    }

                    if (!shard.IsCurrent || ShardScheduler.Current != shard)
                    {
                        Interlocked.Increment(ref notCurrent);
                    }

                    // Items of one producer run in the order it scheduled them; no lock needed since items never overlap.
                    if (lastSeen[p] != item - 1)
                    {
                        outOfOrder++;
                    }

                    lastSeen[p] = item;
                    Interlocked.Decrement(ref running);
                    done.Signal();
                }, null);
            }
        })).ToArray();
        await Task.WhenAll(producers);
        Assert.That(done.Wait(TimeSpan.FromSeconds(30)), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(overlaps, Is.Zero, "two items ran at once");
            Assert.That(notCurrent, Is.Zero);
            Assert.That(outOfOrder, Is.Zero);
            Assert.That(shard.IsCurrent, Is.False, "outside the shard");
        });
    }

    [Test]
    public void AThrowingItemDoesNotStopTheShard()
    {
        var shard = new ShardScheduler(0, NullLogger.Instance);
        using var ran = new ManualResetEventSlim();
        shard.Schedule(_ => throw new InvalidOperationException("bug"), null);
        shard.Schedule(_ => ran.Set(), null);
        Assert.That(ran.Wait(TimeSpan.FromSeconds(5)), Is.True);
    }

    [Test]
    public async Task AwaitablesContinueOnTheShard()
    {
        var shards = new ShardSet(2, NullLogger.Instance);
        await shards[1].SwitchTo();
        Assert.That(ShardScheduler.Current, Is.SameAs(shards[1]));
        await shards[1].Yield();
        Assert.That(shards[1].IsCurrent, Is.True);
        await shards[0].SwitchTo();
        Assert.That(ShardScheduler.Current, Is.SameAs(shards[0]));

        var source = new TaskCompletionSource<int>();
        _ = Task.Run(async () =>
        {
            await Task.Delay(20);
            source.SetResult(42); // completed on a thread-pool thread
        });
        var value = await shards[1].After(source.Task);
        Assert.That(value, Is.EqualTo(42));
        Assert.That(ShardScheduler.Current, Is.SameAs(shards[1]));
    }

    [Test]
    public void ForSidReadsTheShardOutOfTheSidAndToleratesForeignOnes()
    {
        var shards = new ShardSet(4, NullLogger.Instance);
        Assert.Multiple(() =>
        {
            for (var i = 0; i < 4; i++)
            {
                Assert.That(shards.ForSid(FastIo.EngineIO.EngineSessionId.Create(i, 0)).Index, Is.EqualTo(i));
            }

            Assert.That(shards.ForSid(FastIo.EngineIO.EngineSessionId.Create(9, 0)).Index, Is.Zero, "a shard this host lacks");
            Assert.That(shards.ForSid("not-a-fastio-sid").Index, Is.Zero);
        });
    }
}
