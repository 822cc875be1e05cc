using System.Net;
using System.Net.Sockets;
using System.Text;
using FastIo.EngineIO;
using FastIo.SocketIO;
using FastIo.Transports.Hosting;
using NUnit.Framework;

namespace FastIo.Tests.Hosting;

/// <summary>
/// The whole WebSocket echo path, allocations counted across the process: a real socket, the host's receive loop,
/// frame parsing and unmasking, Engine.IO and Socket.IO decoding, the handler, the ack's encoding, framing and send.
/// The client is a blocking socket with pre-built, pre-masked frames, so it allocates nothing itself.
/// </summary>
[TestFixture]
public sealed class WebSocketAllocationTests
{
    private const int Warmup = 3_000;
    private const int Measured = 20_000;
    private const int Windows = 5;

    [Test]
    public async Task A_websocket_echo_with_ack_allocates_nothing_per_message_in_steady_state()
    {
        var io = new SocketIOServer();
        io.OnConnection(socket => socket.On("echo", static (in SocketEvent e) => e.AckRawJson(e.GetRawJson(0))));
        await using var host = await QuietLoopbackHost.StartAsync(io, shards: 1);
        using var client = new System.Net.Sockets.Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await Task.Run(() =>
        {
            // Blocking calls only: once a .NET socket did an async operation it emulates blocking ones with a wait
            // object per call, and the client's own allocations would count.
            client.Connect((IPEndPoint)host.ListeningEndpoints[0]);
            Handshake(client);
            Assert.That(ReadTextFrame(client), Does.StartWith("0{"));
            client.Send(MaskedTextFrame("40"));
            Assert.That(ReadTextFrame(client), Does.StartWith("40{"));

            var request = MaskedTextFrame("421[\"echo\",\"0123456789abcdef\"]");
            var expected = Encoding.UTF8.GetBytes("431[\"0123456789abcdef\"]");
            var reply = new byte[2 + expected.Length];
            for (int i = 0; i < Warmup; i++)
            {
                RoundTrip(client, request, reply);
            }

            Assert.That(reply.AsSpan(2).SequenceEqual(expected), Is.True, Encoding.UTF8.GetString(reply));
            // Every thread of the process counts (timers, and the test host, which does some hundreds of KB of its
            // own work at times it chooses): measure several windows and keep the quietest. Anything per message is
            // at least 24 B × 20 000 in every window, far above the bound.
            long quietest = long.MaxValue;
            for (int w = 0; w < Windows; w++)
            {
                long before = GC.GetTotalAllocatedBytes(precise: true);
                for (int i = 0; i < Measured; i++)
                {
                    RoundTrip(client, request, reply);
                }

                long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                TestContext.Out.WriteLine($"{allocated} B over {Measured} echoes: {(double)allocated / Measured:F2} B per message");
                quietest = Math.Min(quietest, allocated);
            }

            Assert.That(reply.AsSpan(2).SequenceEqual(expected), Is.True, Encoding.UTF8.GetString(reply));
            Assert.That(quietest, Is.LessThan(Measured), $"{(double)quietest / Measured:F2} B per message");
        });
    }

    [TestCase(1, TestName = "A broadcast to real WebSockets allocates nothing per emit (one at a time)")]
    [TestCase(100, TestName = "A broadcast to real WebSockets allocates nothing per emit (bursts of 100)")]
    public async Task A_broadcast_to_real_websockets_allocates_nothing_per_emit_in_steady_state(int burst)
    {
        // The whole process counts: the emit (pooled message), each connection's send queue entry and drain, the
        // socket writes. Clients read on their own threads with blocking calls (no allocation per read).
        const int Clients = 20;
        const int PerWindow = 5_000;
        var io = new SocketIOServer();
        await using var host = await QuietLoopbackHost.StartAsync(io, shards: 2);
        var expected = Encoding.UTF8.GetBytes("42[\"b\",\"0123456789\"]");
        var received = new int[Clients];
        var clients = new List<System.Net.Sockets.Socket>();
        var readers = new List<Thread>();
        try
        {
            for (int c = 0; c < Clients; c++)
            {
                var client = new System.Net.Sockets.Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                clients.Add(client);
                client.Connect((IPEndPoint)host.ListeningEndpoints[0]);
                Handshake(client);
                Assert.That(ReadTextFrame(client), Does.StartWith("0{"));
                client.Send(MaskedTextFrame("40"));
                Assert.That(ReadTextFrame(client), Does.StartWith("40{"));
                int index = c;
                var reader = new Thread(() =>
                {
                    var frame = new byte[2 + expected.Length];
                    try
                    {
                        while (true)
                        {
                            ReadExactly(client, frame);
                            if (!frame.AsSpan(2).SequenceEqual(expected))
                            {
                                Volatile.Write(ref received[index], int.MinValue); // wrong content: fail the wait below
                                return;
                            }

                            Interlocked.Increment(ref received[index]);
                        }
                    }
                    catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
                    {
                        // Closed at the end.
                    }
                }) { IsBackground = true };
                readers.Add(reader);
                reader.Start();
            }

            await Task.Run(() =>
            {
                int sent = 0;
                long quietest = long.MaxValue;
                for (int w = 0; w <= Windows; w++)
                {
                    long before = GC.GetTotalAllocatedBytes(precise: true);
                    for (int i = 0; i < PerWindow; i += burst)
                    {
                        // Each burst delivered everywhere before the next. Bursts of 100 keep 100 messages in flight, more
                        // than ArrayPool.Shared keeps per size: the message objects keep their small buffers.
                        for (int j = 0; j < burst; j++)
                        {
                            io.Emit("b", "0123456789");
                        }

                        sent += burst;
                        var deadline = Environment.TickCount64 + 10_000;
                        for (int c = 0; c < Clients; c++)
                        {
                            // No Assert in this loop: its constraint objects would be counted.
                            while (Volatile.Read(ref received[c]) < sent)
                            {
                                if (Volatile.Read(ref received[c]) < 0)
                                {
                                    Assert.Fail("a client got other bytes than the broadcast");
                                }

                                if (Environment.TickCount64 > deadline)
                                {
                                    Assert.Fail("broadcasts not delivered");
                                }

                                Thread.Sleep(0);
                            }
                        }
                    }

                    long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                    if (w > 0)
                    {
                        // Window 0 is the warm-up (pools and queues reach their size).
                        TestContext.Out.WriteLine($"{allocated} B over {PerWindow} emits to {Clients} sockets: {(double)allocated / PerWindow:F2} B per emit");
                        quietest = Math.Min(quietest, allocated);
                    }
                }

                Assert.That(quietest, Is.LessThan(PerWindow), $"{(double)quietest / PerWindow:F2} B per emit");
            });
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    private static void RoundTrip(System.Net.Sockets.Socket client, byte[] request, byte[] reply)
    {
        client.Send(request);
        ReadExactly(client, reply);
    }

    private static void Handshake(System.Net.Sockets.Socket client)
    {
        client.Send(Encoding.ASCII.GetBytes(
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            ReadExactly(client, one);
            head.Append((char)one[0]);
        }

        Assert.That(head.ToString(), Does.StartWith("HTTP/1.1 101"));
    }

    private static string ReadTextFrame(System.Net.Sockets.Socket client)
    {
        var header = new byte[2];
        ReadExactly(client, header);
        int length = header[1] & 0x7F;
        if (length == 126)
        {
            var extended = new byte[2];
            ReadExactly(client, extended);
            length = (extended[0] << 8) | extended[1];
        }

        var payload = new byte[length];
        ReadExactly(client, payload);
        return Encoding.UTF8.GetString(payload);
    }

    private static byte[] MaskedTextFrame(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        Assert.That(payload, Has.Length.LessThan(126));
        byte[] mask = [0x12, 0x34, 0x56, 0x78];
        var frame = new byte[6 + payload.Length];
        frame[0] = 0x81;
        frame[1] = (byte)(0x80 | payload.Length);
        mask.CopyTo(frame, 2);
        for (int i = 0; i < payload.Length; i++)
        {
            frame[6 + i] = (byte)(payload[i] ^ mask[i % 4]);
        }

        return frame;
    }

    private static void ReadExactly(System.Net.Sockets.Socket client, Span<byte> buffer)
    {
        while (!buffer.IsEmpty)
        {
            int read = client.Receive(buffer);
            if (read == 0)
            {
                throw new IOException("the server closed the connection");
            }

            buffer = buffer[read..];
        }
    }
}
