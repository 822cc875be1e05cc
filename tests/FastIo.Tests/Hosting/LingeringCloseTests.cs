using System.Diagnostics;
using System.Net.Sockets;
using FastIo.Transports.Hosting;
using NUnit.Framework;

namespace FastIo.Tests.Hosting;

/// <summary>
/// The lingering close of both engines (RFC 9112 §9.6): after our FIN, what the peer still sends is read and discarded
/// until its own FIN, so that the close never answers unread bytes with a reset; a close must not wait out the linger
/// timeout when the peer does close.
/// </summary>
[TestFixture]
[CancelAfter(240_000)]
public sealed class LingeringCloseTests
{
    // A peer that keeps sending until it sees our FIN: the epoll engine once discarded in one unbounded run on one
    // thread (the loop's: every other connection of it stalled), and 12 of 16 closes took 2-7 s, resetting the peer.
    [TestCase(SocketEngine.Managed)]
    [TestCase(SocketEngine.Epoll)]
    public async Task A_lingering_close_of_a_peer_still_sending_discards_until_its_FIN(SocketEngine engine)
    {
        await Run(engine, outputFirst: false, 64);
    }

    // The close's resume meeting a receive that runs into the reader just completed: the epoll engine's readiness went
    // Running -> Signaled (the resume) -> Stopped (the receive's end), the resume was lost, nothing discarded what the
    // peer still sent, and the close waited out the linger timeout, then reset the peer (6 of 512 closes).
    [TestCase(SocketEngine.Managed)]
    [TestCase(SocketEngine.Epoll)]
    public async Task A_lingering_close_right_after_the_reader_completed_discards_until_the_FIN(SocketEngine engine)
    {
        await Run(engine, outputFirst: true, 512);
    }

    private static async Task Run(SocketEngine engine, bool outputFirst, int count)
    {
        var slow = 0;
        var total = 0;
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60) && total < count)
        {
            var pairs = await LoopbackConnection.OpenManyAsync(16, engine);
            var batch = pairs.Select(p => OneAsync(p, outputFirst)).ToList();
            foreach (var t in batch)
            {
                total++;
                var line = await t;
                if (line is not null)
                {
                    slow++;
                    TestContext.Out.WriteLine(line);
                }
            }

            foreach (var p in pairs)
            {
                await p.DisposeAsync();
            }
        }

        TestContext.Out.WriteLine($"{engine}: connections {total}, slow closes {slow}");
        Assert.That(slow, Is.Zero, $"{slow} of {total} closes waited out the linger timeout");
    }

    private static async Task<string?> OneAsync(LoopbackConnection pair, bool outputFirst)
    {
        var client = pair.Client;
        var server = pair.Server;
        var watch = Stopwatch.StartNew();
        double fin = -1, shut = -1, end = -1;
        string? error = null;
        var clientDone = Task.Run(async () =>
        {
            var chunk = new byte[512];
            var sink = new byte[4096];
            try
            {
                var receiving = client.ReceiveAsync(sink.AsMemory(), SocketFlags.None).AsTask();
                while (!receiving.IsCompleted)
                {
                    await client.SendAsync(chunk, SocketFlags.None);
                }

                fin = watch.Elapsed.TotalMilliseconds;
                if (await receiving == 0)
                {
                    client.Shutdown(SocketShutdown.Send);
                    shut = watch.Elapsed.TotalMilliseconds;
                    while (await client.ReceiveAsync(sink, SocketFlags.None) > 0) { }
                    end = watch.Elapsed.TotalMilliseconds;
                }
            }
            catch (SocketException e)
            {
                error = e.SocketErrorCode.ToString();
            }
        });

        var result = await server.Input.ReadAsync();
        server.Input.AdvanceTo(result.Buffer.End);
        if (outputFirst)
        {
            await server.Output.CompleteAsync();
            await Task.Delay(1);
            server.Input.Complete();
        }
        else
        {
            await server.Input.CompleteAsync();
            await server.Output.CompleteAsync();
        }

        var closeStart = watch.Elapsed.TotalMilliseconds;
        await server.CloseAsync();
        var closed = watch.Elapsed.TotalMilliseconds;
        await clientDone.WaitAsync(TimeSpan.FromSeconds(10));
        return closed - closeStart > 1500 ? $"close {closeStart:F1}->{closed:F1} ms; client fin {fin:F1} shut {shut:F1} end {end:F1} error {error}" : null;
    }
}
