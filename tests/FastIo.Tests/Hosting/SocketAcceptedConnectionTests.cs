using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using FastIo.Transports.Hosting;
using NUnit.Framework;

namespace FastIo.Tests.Hosting;

/// <summary>The in-house socket ↔ pipe connection over real loopback sockets.</summary>
[TestFixture(SocketEngine.Managed)]
[TestFixture(SocketEngine.Epoll)]
[CancelAfter(60_000)]
public sealed class SocketAcceptedConnectionTests
{
    private readonly SocketEngine _engine;

    public SocketAcceptedConnectionTests(SocketEngine engine)
    {
        _engine = engine;
    }

    private static byte[] Pattern(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }

    private static async Task ClientSendAllAsync(Socket client, byte[] data, bool thenFin)
    {
        for (int offset = 0; offset < data.Length;)
        {
            // Uneven chunks, so the server sees many receive sizes.
            int chunk = Math.Min(data.Length - offset, 1 + (offset % 50_000));
            offset += await client.SendAsync(data.AsMemory(offset, chunk), SocketFlags.None);
        }

        if (thenFin)
        {
            client.Shutdown(SocketShutdown.Send);
        }
    }

    /// <summary>Writes in small pieces and flushes once per <paramref name="flushEvery"/> bytes (the output's buffer grows to take them).</summary>
    private static async Task ServerWriteAllAsync(PipeWriter output, byte[] data, int flushEvery)
    {
        int sinceFlush = 0;
        for (int offset = 0; offset < data.Length;)
        {
            var span = output.GetSpan(1);
            int n = Math.Min(span.Length, data.Length - offset);
            data.AsSpan(offset, n).CopyTo(span);
            output.Advance(n);
            offset += n;
            sinceFlush += n;
            if (sinceFlush >= flushEvery)
            {
                sinceFlush = 0;
                await output.FlushAsync();
            }
        }

        await output.FlushAsync();
    }

    // Output flushes of 100 KB (past the kernel's buffer at times: the rest goes asynchronously), of 5 KB, and of
    // 1 byte each, while 3 MB arrive in uneven chunks.
    [TestCase(100_000)]
    [TestCase(5_000)]
    [TestCase(1)]
    public async Task Large_payloads_cross_both_ways_at_once(int flushEvery)
    {
        await using var pair = await LoopbackConnection.OpenAsync(_engine);
        var up = Pattern(3_000_000, 1);
        var down = Pattern(3_100_000, 2);

        var clientSending = ClientSendAllAsync(pair.Client, up, thenFin: true);
        var serverReading = pair.ServerReadToEndAsync();
        var clientReading = pair.ClientReadToEndAsync();
        await ServerWriteAllAsync(pair.Server.Output, down, flushEvery);
        await pair.Server.Output.CompleteAsync();

        await clientSending;
        Assert.That(await serverReading, Is.EqualTo(up));
        Assert.That(await clientReading, Is.EqualTo(down));
        await pair.Server.Sending;
        Assert.That(pair.Server.OutputHoldsBuffer, Is.False);
    }

    [Test]
    public async Task A_peer_half_close_ends_the_input_normally_and_the_reply_still_arrives()
    {
        await using var pair = await LoopbackConnection.OpenAsync(_engine);
        await pair.Client.SendAsync("hello"u8.ToArray(), SocketFlags.None);
        pair.Client.Shutdown(SocketShutdown.Send);

        Assert.That(Encoding.ASCII.GetString(await pair.ServerReadToEndAsync()), Is.EqualTo("hello"));
        await pair.Server.Output.WriteAsync("bye"u8.ToArray());
        await pair.Server.Output.CompleteAsync();

        Assert.That(Encoding.ASCII.GetString(await pair.ClientReadToEndAsync()), Is.EqualTo("bye"));
        await pair.Server.Sending;
    }

    [Test]
    public async Task A_reset_ends_input_and_output_without_an_exception()
    {
        await using var pair = await LoopbackConnection.OpenAsync(_engine);
        await pair.Client.SendAsync("x"u8.ToArray(), SocketFlags.None);
        var first = await pair.Server.Input.ReadAsync();
        pair.Server.Input.AdvanceTo(first.Buffer.End);

        pair.Client.LingerState = new LingerOption(true, 0);
        pair.Client.Close(); // RST

        var end = await pair.Server.Input.ReadAsync();
        Assert.That(end.IsCompleted, Is.True);
        pair.Server.Input.AdvanceTo(end.Buffer.End);

        // Writing to a reset peer: the send fails (ECONNRESET/EPIPE) and the pipe reports completion, never throws.
        var completed = false;
        for (int i = 0; i < 200 && !completed; i++)
        {
            var flush = await pair.Server.Output.WriteAsync(new byte[16 * 1024]);
            completed = flush.IsCompleted;
            if (!completed)
            {
                await Task.Delay(5);
            }
        }

        Assert.That(completed, Is.True);
        await pair.Server.Sending;
    }

    [Test]
    public async Task Close_waits_until_a_4_MB_response_was_sent_to_a_peer_that_reads_late()
    {
        // Written without a flush, then completed: all 4 MB must still go out (as from a pipe), far more than the
        // kernel buffers take, so CloseAsync must wait for the output rather than close the socket.
        var pair = await LoopbackConnection.OpenAsync(_engine);
        var response = Pattern(4 * 1024 * 1024, 3);
        pair.Server.Output.Write(response);
        await pair.Server.Output.CompleteAsync();
        await pair.Server.Input.CompleteAsync();
        Assert.That(pair.Server.Sending.IsCompleted, Is.False, "the peer has not read yet, so sending must be pending");

        var closing = pair.Server.CloseAsync().AsTask();
        await Task.Delay(200);
        var received = await pair.ClientReadToEndAsync();
        await closing;

        Assert.That(received, Is.EqualTo(response));
        pair.Client.Dispose();
    }

    [Test]
    public async Task Many_concurrent_connections_each_echo_their_own_bytes()
    {
        const int count = 200;
        var pairs = await LoopbackConnection.OpenManyAsync(count, _engine);
        try
        {
            var runs = new Task[count];
            for (int i = 0; i < count; i++)
            {
                runs[i] = EchoOnceAsync(pairs[i], Pattern(64 * 1024 + i, 100 + i));
            }

            await Task.WhenAll(runs);
        }
        finally
        {
            foreach (var pair in pairs)
            {
                await pair.DisposeAsync();
            }
        }
    }

    private static async Task EchoOnceAsync(LoopbackConnection pair, byte[] data)
    {
        var sending = ClientSendAllAsync(pair.Client, data, thenFin: true);
        var echoing = EchoAsync(pair.Server);
        var received = await pair.ClientReadToEndAsync();
        await sending;
        await echoing;
        Assert.That(received, Is.EqualTo(data));
    }

    private static async Task EchoAsync(SocketConnection server)
    {
        while (true)
        {
            var result = await server.Input.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                await server.Output.WriteAsync(segment);
            }

            server.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                await server.Output.CompleteAsync();
                return;
            }
        }
    }

    [Test]
    public async Task An_idle_connection_holds_no_receive_or_send_block()
    {
        var input = new CountingMemoryPool(4096);
        await using var pair = await LoopbackConnection.OpenAsync(_engine, new PipeOptions(input, useSynchronizationContext: false));

        for (int round = 0; round < 3; round++)
        {
            await pair.Client.SendAsync(Pattern(10_000, round), SocketFlags.None);
            int read = 0;
            while (read < 10_000)
            {
                var result = await pair.Server.Input.ReadAsync();
                read += (int)result.Buffer.Length;
                pair.Server.Input.AdvanceTo(result.Buffer.End);
            }

            await pair.Server.Output.WriteAsync(Pattern(10_000, round));
            Assert.That(pair.Server.OutputHoldsBuffer, Is.False, "send buffer held after the flush");
            var buffer = new byte[10_000];
            for (int got = 0; got < buffer.Length;)
            {
                got += await pair.Client.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None);
            }

            // Everything was consumed: the receive loop is back in its zero-byte wait and keeps no block.
            // (Eventually: the loop returns blocks on its own thread.)
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (input.Outstanding != 0 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.That(input.Outstanding, Is.Zero, "receive blocks held while idle");
        }

        Assert.That(input.Rented, Is.GreaterThanOrEqualTo(3));
    }

    [Test]
    public async Task Close_of_an_idle_connection_ends_both_loops_and_the_input_without_an_exception()
    {
        var pair = await LoopbackConnection.OpenAsync(_engine);
        await pair.Server.Output.CompleteAsync();
        await pair.Server.CloseAsync();

        Assert.That(pair.Server.Sending.IsCompletedSuccessfully, Is.True);
        var end = await pair.Server.Input.ReadAsync();
        Assert.That(end.IsCompleted, Is.True);
        await pair.Server.Input.CompleteAsync();

        // The client sees the FIN the send loop sent once the output was complete.
        Assert.That(await pair.ClientReadToEndAsync(), Is.Empty);
        pair.Client.Dispose();
    }

    [Test]
    public async Task Close_gives_up_on_a_peer_that_never_reads()
    {
        var pair = await LoopbackConnection.OpenAsync(_engine);
        pair.Server.Output.Write(new byte[32 * 1024 * 1024]); // no flush: the output is completed with it unsent
        await pair.Server.Output.CompleteAsync();
        await pair.Server.Input.CompleteAsync();

        var started = System.Diagnostics.Stopwatch.StartNew();
        await pair.Server.CloseAsync(); // bounded by the 2 s drain timeout, then the socket is closed
        Assert.That(started.Elapsed, Is.LessThan(TimeSpan.FromSeconds(30)));
        Assert.That(pair.Server.Sending.IsCompleted, Is.True);
        pair.Client.Dispose();
    }
}
