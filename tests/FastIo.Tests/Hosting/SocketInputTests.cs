using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using FastIo.Transports.Hosting;
using NUnit.Framework;

namespace FastIo.Tests.Hosting;

/// <summary>
/// <see cref="SocketInput"/> driven the way the receive loop drives it (one appended block per receive), without a
/// socket: bytes split across receives, messages larger than a block, the peer closing mid-message, AdvanceTo's
/// consumed/examined rules, cancellation, backpressure, and the reader and writer ending concurrently. The same type
/// under real sockets: SocketAcceptedConnectionTests and every WebSocket/HTTP loopback test.
/// </summary>
[TestFixture]
public sealed class SocketInputTests
{
    private static PipeOptions Options(long pause = 64 * 1024, long resume = 32 * 1024, int blockSize = 4096, MemoryPool<byte>? pool = null) =>
        new(pool, PipeScheduler.Inline, PipeScheduler.Inline, pause, resume, blockSize, useSynchronizationContext: false);

    /// <summary>Appends <paramref name="data"/> as one receive (it must fit a block).</summary>
    private static SocketInput.AppendResult Receive(SocketInput input, ReadOnlySpan<byte> data)
    {
        var segment = input.RentSegment();
        Assert.That(segment.Writable.Length, Is.GreaterThanOrEqualTo(data.Length));
        data.CopyTo(segment.Writable.Span);
        return input.Append(segment, data.Length);
    }

    [Test]
    public async Task A_message_split_across_receives_is_read_whole_once_the_rest_arrived()
    {
        var input = new SocketInput(new Owner(), Options());
        var message = Encoding.ASCII.GetBytes("hello, split world");
        for (var split = 1; split < message.Length; split++)
        {
            Receive(input, message.AsSpan(0, split));
            var first = await input.ReadAsync();
            Assert.That(first.Buffer.Length, Is.EqualTo(split));
            input.AdvanceTo(first.Buffer.Start, first.Buffer.End); // incomplete: examined everything, consumed nothing

            var waiting = input.ReadAsync();
            Assert.That(waiting.IsCompleted, Is.False, "examined everything: waits for new bytes");
            Receive(input, message.AsSpan(split));
            var whole = await waiting;
            Assert.That(whole.Buffer.ToArray(), Is.EqualTo(message));
            Assert.That(whole.Buffer.IsSingleSegment, Is.False, "two receives, two blocks");
            input.AdvanceTo(whole.Buffer.End);
            Assert.That(input.HoldsBuffer, Is.False, "everything consumed: no block held");
        }
    }

    [Test]
    public async Task A_message_larger_than_a_block_spans_blocks_and_consuming_part_of_it_keeps_the_rest()
    {
        var input = new SocketInput(new Owner(), Options(blockSize: 4096));
        var message = new byte[20_000];
        Random.Shared.NextBytes(message);
        for (var offset = 0; offset < message.Length; offset += 4096)
        {
            Receive(input, message.AsSpan(offset, Math.Min(4096, message.Length - offset)));
        }

        var read = await input.ReadAsync();
        Assert.That(read.Buffer.ToArray(), Is.EqualTo(message));

        // Consume into the middle of the third block: the first two are released, the rest is read again.
        var consumed = read.Buffer.GetPosition(10_000);
        input.AdvanceTo(consumed);
        var rest = await input.ReadAsync();
        Assert.That(rest.Buffer.ToArray(), Is.EqualTo(message.AsSpan(10_000).ToArray()));
        input.AdvanceTo(rest.Buffer.End);
        Assert.That(input.HoldsBuffer, Is.False);
    }

    [Test]
    public async Task Consumed_but_not_examined_bytes_are_returned_at_once_by_the_next_read()
    {
        var input = new SocketInput(new Owner(), Options());
        Receive(input, "abcdef"u8);
        var read = await input.ReadAsync();
        input.AdvanceTo(read.Buffer.GetPosition(2), read.Buffer.GetPosition(4)); // examined less than everything
        var again = input.ReadAsync();
        Assert.That(again.IsCompleted, Is.True);
        Assert.That(Encoding.ASCII.GetString((await again).Buffer.ToArray()), Is.EqualTo("cdef"));
    }

    [Test]
    public async Task Bytes_arriving_between_a_read_and_its_advance_are_not_waited_for()
    {
        var input = new SocketInput(new Owner(), Options());
        Receive(input, "ab"u8);
        var read = await input.ReadAsync();
        Receive(input, "cd"u8);
        input.AdvanceTo(read.Buffer.Start, read.Buffer.End); // examined what it saw, not what came since
        var next = input.ReadAsync();
        Assert.That(next.IsCompleted, Is.True);
        Assert.That(Encoding.ASCII.GetString((await next).Buffer.ToArray()), Is.EqualTo("abcd"));
    }

    [Test]
    public async Task The_peer_closing_mid_message_completes_the_read_with_the_partial_bytes()
    {
        var input = new SocketInput(new Owner(), Options());
        Receive(input, "partial"u8);
        var read = await input.ReadAsync();
        input.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        var waiting = input.ReadAsync();
        input.CompleteWriter(null);
        var last = await waiting;
        Assert.That(last.IsCompleted, Is.True);
        Assert.That(Encoding.ASCII.GetString(last.Buffer.ToArray()), Is.EqualTo("partial"));
        input.AdvanceTo(last.Buffer.End);
        var after = await input.ReadAsync();
        Assert.That(after.IsCompleted, Is.True);
        Assert.That(after.Buffer.IsEmpty, Is.True);
        input.AdvanceTo(after.Buffer.End);
        input.Complete();
        Assert.That(Receive(input, "late"u8), Is.EqualTo(SocketInput.AppendResult.ReaderGone));
    }

    [Test]
    public void A_receive_error_is_thrown_by_the_pending_read_and_the_next()
    {
        var input = new SocketInput(new Owner(), Options());
        var waiting = input.ReadAsync();
        input.CompleteWriter(new IOException("receive failed"));
        Assert.That(async () => await waiting, Throws.InstanceOf<IOException>());
        Assert.That(async () => await input.ReadAsync(), Throws.InstanceOf<IOException>());
    }

    [Test]
    public async Task CancelPendingRead_ends_the_pending_read_or_else_the_next_one_and_the_data_stays()
    {
        var input = new SocketInput(new Owner(), Options());
        var waiting = input.ReadAsync();
        input.CancelPendingRead();
        var canceled = await waiting;
        Assert.That(canceled.IsCanceled, Is.True);
        input.AdvanceTo(canceled.Buffer.End);

        Receive(input, "x"u8);
        input.CancelPendingRead(); // no read pending: the next one is cancelled, with the bytes in it
        var next = await input.ReadAsync();
        Assert.That(next.IsCanceled, Is.True);
        Assert.That(next.Buffer.Length, Is.EqualTo(1));
        input.AdvanceTo(next.Buffer.Start);
        var plain = await input.ReadAsync();
        Assert.That(plain.IsCanceled, Is.False);
        Assert.That(plain.Buffer.Length, Is.EqualTo(1));
    }

    [Test]
    public async Task A_cancelled_token_ends_the_pending_read_with_OperationCanceledException()
    {
        var input = new SocketInput(new Owner(), Options());
        using var cts = new CancellationTokenSource();
        var waiting = input.ReadAsync(cts.Token);
        await cts.CancelAsync();
        Assert.That(async () => await waiting, Throws.InstanceOf<OperationCanceledException>());
        Receive(input, "y"u8);
        var read = await input.ReadAsync(cts.Token); // data is there: a cancelled token does not hide it
        Assert.That(read.Buffer.Length, Is.EqualTo(1));
    }

    [Test]
    public async Task Misuse_is_refused()
    {
        var input = new SocketInput(new Owner(), Options());
        Assert.That(() => input.AdvanceTo(default), Throws.InvalidOperationException, "no read to advance");
        Receive(input, "z"u8);
        var read = await input.ReadAsync();
        Assert.That(() => input.ReadAsync(), Throws.InvalidOperationException, "the previous result is not advanced");
        input.AdvanceTo(read.Buffer.End);
        input.Complete();
        Assert.That(() => input.ReadAsync(), Throws.InvalidOperationException, "completed");
    }

    [Test]
    public async Task The_receive_loop_pauses_at_the_threshold_and_resumes_once_the_reader_caught_up()
    {
        var owner = new Owner();
        var input = new SocketInput(owner, Options(pause: 8192, resume: 4096, blockSize: 4096));
        Assert.That(Receive(input, new byte[4096]), Is.EqualTo(SocketInput.AppendResult.Continue));
        Assert.That(Receive(input, new byte[4096]), Is.EqualTo(SocketInput.AppendResult.Paused));
        var read = await input.ReadAsync();
        input.AdvanceTo(read.Buffer.GetPosition(1000)); // 7192 left: still above the resume threshold
        Assert.That(owner.Resumed, Is.Zero);
        read = await input.ReadAsync();
        input.AdvanceTo(read.Buffer.GetPosition(4000)); // 3192 left
        Assert.That(owner.Resumed, Is.EqualTo(1));
        Assert.That(input.TryTakePausedWriter(), Is.False, "resumed once, by the reader");
    }

    [Test]
    public void A_reader_completing_while_the_receive_loop_is_paused_lets_it_run_into_the_end()
    {
        var owner = new Owner();
        var input = new SocketInput(owner, Options(pause: 4096, resume: 1024, blockSize: 4096));
        Assert.That(Receive(input, new byte[4096]), Is.EqualTo(SocketInput.AppendResult.Paused));
        input.Complete();
        Assert.That(owner.Resumed, Is.EqualTo(1));
        Assert.That(input.HoldsBuffer, Is.False);
        Assert.That(Receive(input, "more"u8), Is.EqualTo(SocketInput.AppendResult.ReaderGone));
    }

    [Test]
    public void Blocks_come_from_the_options_pool_and_all_go_back()
    {
        using var pool = new CountingMemoryPool(512);
        var input = new SocketInput(new Owner(), Options(pool: pool));
        var segment = input.RentSegment();
        Assert.That(segment.Writable.Length, Is.EqualTo(512), "blocks no larger than the pool's");
        SocketInput.ReturnSegment(segment);
        Assert.That(pool.Outstanding, Is.Zero);
        Receive(input, "one"u8);
        Receive(input, "two"u8);
        Assert.That(pool.Outstanding, Is.EqualTo(2));
        Assert.That(input.TryRead(out var read), Is.True);
        input.AdvanceTo(read.Buffer.End);
        Assert.That(pool.Outstanding, Is.Zero);
    }

    [Test]
    public async Task Reader_and_writer_ending_concurrently_leave_nothing_behind_and_never_hang()
    {
        for (var round = 0; round < 200; round++)
        {
            var input = new SocketInput(new Owner(), new PipeOptions(readerScheduler: PipeScheduler.ThreadPool, useSynchronizationContext: false));
            var reader = Task.Run(async () =>
            {
                while (true)
                {
                    ReadResult result;
                    try
                    {
                        result = await input.ReadAsync();
                    }
                    catch (InvalidOperationException)
                    {
                        return; // completed by the other side of the race below
                    }

                    input.AdvanceTo(result.Buffer.End);
                    if (result.IsCompleted)
                    {
                        input.Complete();
                        return;
                    }
                }
            });
            var writer = Task.Run(() =>
            {
                for (var i = 0; i < 20; i++)
                {
                    if (Receive(input, "data"u8) != SocketInput.AppendResult.Continue)
                    {
                        return;
                    }
                }

                input.CompleteWriter(null);
            });
            await writer.WaitAsync(TimeSpan.FromSeconds(10));
            await reader.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.That(input.HoldsBuffer, Is.False, $"round {round}");
        }
    }

    private sealed class Owner : ISocketInputOwner
    {
        public int Resumed;

        public void ResumeReceiving() => Interlocked.Increment(ref Resumed);
    }
}
