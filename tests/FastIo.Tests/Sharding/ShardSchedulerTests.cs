using System.Collections.Concurrent;
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
    public void RunOrScheduleRunsOnTheCallingThreadOnlyWhenTheShardIsIdle()
    {
        var shard = new ShardScheduler(0, NullLogger.Instance);
        var caller = Environment.CurrentManagedThreadId;
        int? ranOn = null;
        var wasCurrent = false;
        shard.RunOrSchedule(_ => { ranOn = Environment.CurrentManagedThreadId; wasCurrent = shard.IsCurrent; }, null);
        Assert.That(ranOn, Is.EqualTo(caller), "idle shard: inline");
        Assert.That(wasCurrent, Is.True, "inline work is the shard's batch");
        Assert.That(shard.IsCurrent, Is.False, "released afterwards");

        // From inside a batch (of this or another shard) nothing runs inline: it is queued behind the current item.
        var other = new ShardScheduler(1, NullLogger.Instance);
        using var done = new ManualResetEventSlim();
        var order = new ConcurrentQueue<string>();
        shard.Schedule(_ =>
        {
            other.RunOrSchedule(_ => { order.Enqueue("other"); done.Set(); }, null);
            shard.RunOrSchedule(_ => order.Enqueue("same"), null);
            order.Enqueue("first");
        }, null);
        Assert.That(done.Wait(TimeSpan.FromSeconds(5)), Is.True);
        SpinWait.SpinUntil(() => order.Count == 3, TimeSpan.FromSeconds(5));
        Assert.That(order.Where(o => o != "other"), Is.EqualTo(new[] { "first", "same" }), "queued behind the running item");
    }

    [Test]
    public void AConnectionRunsOneContinuationInlineAfterBeginInlineFlush()
    {
        var shard = new ShardScheduler(0, NullLogger.Instance);
        var connection = new ConnectionScheduler { Target = shard };
        var caller = Environment.CurrentManagedThreadId;
        var threads = new ConcurrentQueue<int>();
        using var second = new ManualResetEventSlim();
        ConnectionScheduler.BeginInlineFlush();
        try
        {
            connection.Schedule(_ =>
            {
                threads.Enqueue(Environment.CurrentManagedThreadId);

                // Scheduled from the inline work: the one-shot is spent, so this one is queued to the shard.
                connection.Schedule(_ => { threads.Enqueue(-1); second.Set(); }, null);
            }, null);
        }
        finally
        {
            ConnectionScheduler.EndInlineFlush();
        }

        Assert.That(second.Wait(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(threads.ToArray(), Is.EqualTo(new[] { caller, -1 }));

        // Without the flag: queued, never on the caller's thread.
        int? ranOn = null;
        using var third = new ManualResetEventSlim();
        connection.Schedule(_ => { ranOn = Environment.CurrentManagedThreadId; third.Set(); }, null);
        Assert.That(third.Wait(TimeSpan.FromSeconds(5)), Is.True);
        Assert.That(ranOn, Is.Not.EqualTo(caller));
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
