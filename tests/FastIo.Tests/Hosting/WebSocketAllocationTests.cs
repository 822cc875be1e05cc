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
        var options = new FastIoHostOptions
        {
            Shards = 1,
            Engine = new EngineOptions { PingInterval = TimeSpan.FromHours(1), PingTimeout = TimeSpan.FromHours(1) },
        };
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        await using var host = new FastIoHost(options, io);
        await host.StartAsync();
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
