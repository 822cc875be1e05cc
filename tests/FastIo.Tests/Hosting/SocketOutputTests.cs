using System.Net.Sockets;
using System.Text;
using FastIo.Transports.Hosting;
using NUnit.Framework;

namespace FastIo.Tests.Hosting;

/// <summary>The send-on-flush output of an accepted socket, over real loopback sockets.</summary>
[TestFixture(SocketEngine.Managed)]
[TestFixture(SocketEngine.Epoll)]
[CancelAfter(60_000)]
public sealed class SocketOutputTests
{
    private readonly SocketEngine _engine;

    public SocketOutputTests(SocketEngine engine)
    {
        _engine = engine;
    }

    /// <summary>Far more than loopback's socket buffers take, so a flush of it waits for the peer to read.</summary>
    private const int MoreThanTheKernelTakes = 32 * 1024 * 1024;

    private static async Task<byte[]> ClientReadAsync(Socket client, int count)
    {
        var buffer = new byte[count];
        for (int got = 0; got < count;)
        {
            int n = await client.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None);
            if (n == 0)
            {
                throw new EndOfStreamException($"FIN after {got} of {count} bytes");
            }

            got += n;
        }

        return buffer;
    }

    [Test]
    public async Task Writes_go_out_on_flush_together_and_not_before()
    {
        await using var pair = await LoopbackConnection.OpenAsync(_engine);
        var output = pair.Server.Output;
        await output.WriteAsync("ab"u8.ToArray()); // flushed
        Assert.That(Encoding.ASCII.GetString(await ClientReadAsync(pair.Client, 2)), Is.EqualTo("ab"));

        foreach (var piece in new[] { "one,", "two,", "three" })
        {
            var span = output.GetSpan(piece.Length);
            Encoding.ASCII.GetBytes(piece, span);
            output.Advance(piece.Length);
        }

        Assert.That(output.UnflushedBytes, Is.EqualTo(13));
        await Task.Delay(100);
        Assert.That(pair.Client.Available, Is.Zero, "nothing is sent before the flush");

        var flush = await output.FlushAsync();
        Assert.That(flush.IsCompleted || flush.IsCanceled, Is.False);
        Assert.That(Encoding.ASCII.GetString(await ClientReadAsync(pair.Client, 13)), Is.EqualTo("one,two,three"));
        Assert.That(pair.Server.OutputHoldsBuffer, Is.False);
    }

    [Test]
    public async Task A_flush_waits_for_a_peer_that_does_not_read_and_ends_once_it_did()
    {
        await using var pair = await LoopbackConnection.OpenAsync(_engine);
        var data = new byte[MoreThanTheKernelTakes];
        new Random(7).NextBytes(data);
        var flushing = pair.Server.Output.WriteAsync(data).AsTask();
        await Task.Delay(300);
        Assert.That(flushing.IsCompleted, Is.False, "backpressure: the kernel cannot take it all");
        Assert.That(pair.Server.OutputHoldsBuffer, Is.True);

        var received = await ClientReadAsync(pair.Client, data.Length);
        var flush = await flushing;
        Assert.That(flush.IsCompleted || flush.IsCanceled, Is.False);
        Assert.That(received, Is.EqualTo(data));
        Assert.That(pair.Server.OutputHoldsBuffer, Is.False);
    }

    [Test]
    public async Task Cancelling_a_pending_flush_ends_it_and_the_output()
    {
        await using var pair = await LoopbackConnection.OpenAsync(_engine);
        var flushing = pair.Server.Output.WriteAsync(new byte[MoreThanTheKernelTakes]).AsTask();
        await Task.Delay(100);
        Assert.That(flushing.IsCompleted, Is.False);

        pair.Server.Output.CancelPendingFlush();
        var flush = await flushing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(flush.IsCanceled, Is.True);
        Assert.That(pair.Server.OutputHoldsBuffer, Is.False);

        // The stream was cut mid-write: nothing more can be sent.
        var next = await pair.Server.Output.WriteAsync("x"u8.ToArray());
        Assert.That(next.IsCompleted, Is.True);
    }

    [Test]
    public async Task A_cancel_with_no_flush_pending_cancels_the_next_flush_and_keeps_its_bytes()
    {
        await using var pair = await LoopbackConnection.OpenAsync(_engine);
        var output = pair.Server.Output;
        output.CancelPendingFlush();
        var first = await output.WriteAsync("ab"u8.ToArray());
        Assert.That(first.IsCanceled, Is.True);
        await Task.Delay(100);
        Assert.That(pair.Client.Available, Is.Zero);

        var second = await output.WriteAsync("cd"u8.ToArray());
        Assert.That(second.IsCanceled || second.IsCompleted, Is.False);
        Assert.That(Encoding.ASCII.GetString(await ClientReadAsync(pair.Client, 4)), Is.EqualTo("abcd"));
    }

    [Test]
    public async Task Close_gives_up_on_a_flush_to_a_peer_that_never_reads()
    {
        var pair = await LoopbackConnection.OpenAsync(_engine);
        var flushing = pair.Server.Output.WriteAsync(new byte[MoreThanTheKernelTakes]).AsTask();
        await pair.Server.Input.CompleteAsync();

        await pair.Server.CloseAsync(); // the 2 s drain timeout, then the socket is closed under the pending send
        var flush = await flushing.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(flush.IsCanceled || flush.IsCompleted, Is.True);
        Assert.That(pair.Server.Sending.IsCompleted, Is.True);
        await pair.Server.Output.CompleteAsync();
        pair.Client.Dispose();
    }

    [Test]
    public async Task Completing_during_a_pending_flush_sends_the_FIN_after_its_bytes()
    {
        var pair = await LoopbackConnection.OpenAsync(_engine);
        var data = new byte[MoreThanTheKernelTakes];
        new Random(9).NextBytes(data);
        var flushing = pair.Server.Output.WriteAsync(data).AsTask();
        await Task.Delay(100);
        await pair.Server.Output.CompleteAsync();
        Assert.That(pair.Server.Sending.IsCompleted, Is.False);

        var received = await pair.ClientReadToEndAsync();
        Assert.That(received, Is.EqualTo(data));
        await flushing;
        await pair.Server.Sending.WaitAsync(TimeSpan.FromSeconds(10));
        await pair.Server.Input.CompleteAsync();
        await pair.Server.CloseAsync();
        pair.Client.Dispose();
    }

    [Test]
    public async Task Misuse_throws()
    {
        await using var pair = await LoopbackConnection.OpenAsync(_engine);
        var output = pair.Server.Output;
        var length = output.GetMemory(10).Length;
        Assert.That(() => output.Advance(length + 1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        Assert.That(() => output.Advance(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        await output.CompleteAsync();
        Assert.That(() => output.GetSpan(), Throws.InvalidOperationException);
    }
}
