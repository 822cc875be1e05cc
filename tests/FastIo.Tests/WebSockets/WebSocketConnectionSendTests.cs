using System.Buffers.Binary;
using FastIo.Transports.WebSockets;
using NUnit.Framework;

namespace FastIo.Tests.WebSockets;

[TestFixture]
public sealed class WebSocketConnectionSendTests
{
    [Test]
    public async Task ManySendsCoalesceIntoFewFlushesAndKeepOrder()
    {
        await using var h = WebSocketHarness.Start();
        h.ServerOutput.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const int count = 200;

        for (int i = 0; i < count; i++)
        {
            Assert.That(h.Connection.Send(Payload(i), WebSocketMessageType.Binary), Is.True);
        }

        // The first drain may have grabbed a few frames and now waits at the gate; everything else is queued.
        await h.ServerOutput.FirstFlushStarted.Task.WaitAsync(WebSocketHarness.Timeout);
        h.ServerOutput.Gate.SetResult();

        for (int i = 0; i < count; i++)
        {
            ServerFrame frame = await h.ReadRequiredFrameAsync();
            Assert.That(frame.Payload, Is.EqualTo(Payload(i)), $"frame {i}");
        }

        Assert.That(h.ServerOutput.FlushCount, Is.LessThanOrEqualTo(2));
    }

    [Test]
    public async Task ABurstRentsOneQueueArrayAndTheIdleConnectionGivesItBack()
    {
        await using var h = WebSocketHarness.Start();
        Assert.That(h.Connection.HoldsSendArray, Is.False, "a new connection");

        // One frame at a time needs no array: the first queued frame has a field of its own.
        Assert.That(h.Connection.Send(Payload(0), WebSocketMessageType.Binary), Is.True);
        Assert.That(h.Connection.HoldsSendArray, Is.False, "one queued frame");
        Assert.That((await h.ReadRequiredFrameAsync()).Payload, Is.EqualTo(Payload(0)));

        // A burst larger than the first rental (16) while the drain waits at the gate: the array grows, order holds.
        h.ServerOutput.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        const int burst = 40;
        for (int i = 1; i <= burst; i++)
        {
            Assert.That(h.Connection.Send(Payload(i), WebSocketMessageType.Binary), Is.True);
        }

        bool heldWhileQueued = h.Connection.HoldsSendArray;
        h.ServerOutput.Gate.SetResult();
        for (int i = 1; i <= burst; i++)
        {
            Assert.That((await h.ReadRequiredFrameAsync()).Payload, Is.EqualTo(Payload(i)), $"frame {i}");
        }

        // The drain gives the array back when it finds the queue empty, just after the last flush.
        for (int i = 0; i < 500 && h.Connection.HoldsSendArray; i++)
        {
            await Task.Delay(2);
        }

        Assert.Multiple(() =>
        {
            Assert.That(heldWhileQueued, Is.True, "frames 2..n wait in a rented array");
            Assert.That(h.Connection.HoldsSendArray, Is.False, "idle after the burst");
        });
    }

    [Test]
    public async Task MaxBufferedSendBytesIsRespected()
    {
        // 100-byte payloads make 102-byte frames; 1000 bytes hold 9 of them (queued + in the batch being flushed).
        await using var h = WebSocketHarness.Start(new WebSocketOptions { MaxBufferedSendBytes = 1000 });
        h.ServerOutput.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var payload = new byte[100];

        int accepted = 0;
        for (int i = 0; i < 20; i++)
        {
            if (h.Connection.Send(payload, WebSocketMessageType.Binary))
            {
                accepted++;
            }
        }

        Assert.That(accepted, Is.EqualTo(9));
        Assert.That(h.Connection.Send(new byte[2000], WebSocketMessageType.Binary), Is.False, "a frame larger than the bound never fits");

        h.ServerOutput.Gate.SetResult();
        for (int i = 0; i < 9; i++)
        {
            await h.ReadRequiredFrameAsync();
        }

        // Once flushed, the budget is available again.
        bool acceptedAgain = false;
        for (int attempt = 0; attempt < 500 && !acceptedAgain; attempt++)
        {
            acceptedAgain = h.Connection.Send(new byte[900], WebSocketMessageType.Binary);
            if (!acceptedAgain)
            {
                await Task.Delay(2);
            }
        }

        Assert.That(acceptedAgain, Is.True);
        ServerFrame big = await h.ReadRequiredFrameAsync();
        Assert.That(big.Payload, Has.Length.EqualTo(900));
    }

    [Test]
    public async Task ConcurrentSendsKeepFramesIntact()
    {
        await using var h = WebSocketHarness.Start();
        const int threads = 4;
        const int perThread = 400;

        Task reader = Task.Run(async () =>
        {
            var next = new int[threads];
            for (int i = 0; i < threads * perThread; i++)
            {
                ServerFrame frame = await h.ReadRequiredFrameAsync();
                int thread = frame.Payload[0];
                int seq = BinaryPrimitives.ReadInt32LittleEndian(frame.Payload.AsSpan(1));
                Assert.That(seq, Is.EqualTo(next[thread]), $"thread {thread} out of order");
                Assert.That(frame.Payload, Is.EqualTo(ThreadPayload(thread, seq)));
                next[thread]++;
            }
        });

        using var start = new Barrier(threads);
        var senders = new Task[threads];
        for (int t = 0; t < threads; t++)
        {
            int thread = t;
            senders[t] = Task.Factory.StartNew(
                () =>
                {
                    start.SignalAndWait();
                    for (int seq = 0; seq < perThread; seq++)
                    {
                        while (!h.Connection.Send(ThreadPayload(thread, seq), WebSocketMessageType.Binary))
                        {
                            Thread.Sleep(1);
                        }
                    }
                },
                CancellationToken.None,
                TaskCreationOptions.LongRunning,
                TaskScheduler.Default);
        }

        await Task.WhenAll(senders).WaitAsync(WebSocketHarness.Timeout);
        await reader.WaitAsync(WebSocketHarness.Timeout);
    }

    [Test]
    public async Task SendBeforeRunAsyncIsDeliveredAndCloseReplyFollowsQueuedData()
    {
        var h = new WebSocketHarness();
        await using (h)
        {
            Assert.That(h.Connection.Send("early"u8, WebSocketMessageType.Text), Is.True);
            h.Run();
            await h.WriteAsync(ClientFrames.Close(WebSocketCloseCodes.NormalClosure));

            List<ServerFrame> frames = await h.ReadToEndAsync();
            Assert.That(frames, Has.Count.EqualTo(2));
            Assert.Multiple(() =>
            {
                Assert.That(frames[0].Text, Is.EqualTo("early"));
                Assert.That(frames[1].Opcode, Is.EqualTo(WebSocketOpcode.Close));
            });
        }
    }

    private static byte[] Payload(int i)
    {
        var payload = new byte[(i * 37) % 300];
        payload.AsSpan().Fill((byte)i);
        return payload;
    }

    private static byte[] ThreadPayload(int thread, int seq)
    {
        // Lengths straddle the 125/126 and 65535/65536 encodings.
        int length = 5 + (seq % 7 == 0 ? 70_000 : (seq * 31) % 400);
        var payload = new byte[length];
        payload.AsSpan().Fill((byte)(seq + thread));
        payload[0] = (byte)thread;
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(1), seq);
        return payload;
    }
}
