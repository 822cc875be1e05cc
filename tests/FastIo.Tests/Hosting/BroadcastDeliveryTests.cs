using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using FastIo.EngineIO;
using FastIo.SocketIO;
using FastIo.Transports.Hosting;
using NUnit.Framework;

namespace FastIo.Tests.Hosting;

/// <summary>
/// Broadcasts share one pooled, reference-counted message among all targets (<see cref="EngineMessage"/>). Here
/// several threads broadcast to WebSocket and long-polling clients on real loopback, on two shards, while clients
/// upgrade, leave, are killed and are disconnected by the server: every client must get exactly the messages sent,
/// byte for byte and in order (a buffer reused too early would show up as another message's bytes), and once
/// everything closed every pooled message must have gone back exactly once.
/// </summary>
[TestFixture]
[NonParallelizable]
public sealed partial class BroadcastDeliveryTests
{
    private const int Threads = 4;
    private const int PerThread = 150;

    [TestCase(false, TestName = "broadcasts arrive intact and in order while sessions come and go (pooled buffers reused)")]
    [TestCase(true, TestName = "broadcasts arrive intact and in order while sessions come and go (released buffers poisoned)")]
    public async Task Every_client_gets_every_broadcast_byte_exact_and_in_order(bool poison)
    {
        var (rentedBefore, returnedBefore, errorsBefore) = EngineMessage.Statistics;
        EngineMessage.PoisonReleased = poison;
        try
        {
            await RunAsync();
        }
        finally
        {
            EngineMessage.PoisonReleased = false;
        }

        // Every session is closed and the host is gone: each pooled message went back, and none more than once.
        var deadline = Environment.TickCount64 + 10_000;
        while (true)
        {
            var (rented, returned, errors) = EngineMessage.Statistics;
            Assert.That(errors - errorsBefore, Is.Zero, "a release below zero");
            if (rented - rentedBefore == returned - returnedBefore)
            {
                Assert.That(rented - rentedBefore, Is.GreaterThanOrEqualTo(Threads * PerThread));
                break;
            }

            Assert.That(Environment.TickCount64, Is.LessThan(deadline), $"{rented - rentedBefore - (returned - returnedBefore)} pooled messages never returned");
            await Task.Delay(50);
        }
    }

    [Test]
    public void A_pooled_message_leaves_room_for_the_longest_server_frame_header() =>
        Assert.That(EngineMessage.FrameRoom, Is.GreaterThanOrEqualTo(FastIo.Transports.WebSockets.WebSocketFrameWriter.MaxHeaderSize));

    private static async Task RunAsync()
    {
        var io = new SocketIOServer();
        await using var host = await QuietLoopbackHost.StartAsync(io, shards: 2);
        int port = ((IPEndPoint)host.ListeningEndpoints[0]).Port;

        // Who survives, and what happens to the others while the broadcasts run.
        var webSockets = await ConnectAsync(12, () => BroadcastTestClient.ConnectWebSocketAsync(port));
        var polling = await ConnectAsync(6, () => BroadcastTestClient.ConnectPollingAsync(port));
        var upgrading = await ConnectAsync(6, () => BroadcastTestClient.ConnectPollingAsync(port));
        var killed = await ConnectAsync(4, () => BroadcastTestClient.ConnectWebSocketAsync(port));
        killed.AddRange(await ConnectAsync(3, () => BroadcastTestClient.ConnectPollingAsync(port)));
        var leaving = await ConnectAsync(2, () => BroadcastTestClient.ConnectWebSocketAsync(port));
        leaving.AddRange(await ConnectAsync(2, () => BroadcastTestClient.ConnectPollingAsync(port)));
        var disconnected = await ConnectAsync(2, () => BroadcastTestClient.ConnectWebSocketAsync(port));
        disconnected.AddRange(await ConnectAsync(2, () => BroadcastTestClient.ConnectPollingAsync(port)));
        var everyone = webSockets.Concat(polling).Concat(upgrading).Concat(killed).Concat(leaving).Concat(disconnected).ToList();
        try
        {
            int emitted = 0;
            var broadcasters = Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(
                () =>
                {
                    for (int i = 0; i < PerThread; i++)
                    {
                        io.Emit("m", t, i, Payload(t, i));
                        Interlocked.Increment(ref emitted);
                        if (i % 8 == 0)
                        {
                            Thread.Sleep(1); // let the clients' upgrades, departures and kills land in between
                        }
                    }
                },
                TaskCreationOptions.LongRunning)).ToArray();

            while (Volatile.Read(ref emitted) < Threads * PerThread / 5)
            {
                await Task.Delay(1);
            }

            var midFlight = new List<Task>();
            midFlight.AddRange(upgrading.Select(c => c.UpgradeAsync()));
            foreach (var client in killed)
            {
                client.Kill();
            }

            midFlight.AddRange(leaving.Select(c => c.CloseAsync()));
            foreach (var client in disconnected)
            {
                io.MainNamespace.Sockets[client.Sid].Disconnect(close: true);
            }

            await Task.WhenAll(broadcasters);
            await Task.WhenAll(midFlight);
            Assert.That(upgrading.Select(c => c.Transport), Is.All.EqualTo("websocket"));

            var survivors = webSockets.Concat(polling).Concat(upgrading).ToList();
            var deadline = Environment.TickCount64 + 60_000;
            while (survivors.Any(c => c.EventCount < Threads * PerThread) && Environment.TickCount64 < deadline)
            {
                await Task.Delay(20);
            }

            foreach (var client in everyone)
            {
                var complete = survivors.Contains(client);
                Check(client, complete);
            }

            await Task.WhenAll(leaving.Concat(disconnected).Select(c => c.Receiving)).WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            foreach (var client in everyone)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>
    /// Each thread's messages arrive in the order it emitted them, with no gap (a client that went away stops early),
    /// each exactly as written.
    /// </summary>
    private static void Check(BroadcastTestClient client, bool complete)
    {
        var next = new int[Threads];
        foreach (var text in client.Events)
        {
            var match = EventPattern().Match(text);
            Assert.That(match.Success, Is.True, $"{client.Transport} client {client.Sid} got a message that is not one of ours: {Clip(text)}");
            int t = int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            int i = int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(t, Is.InRange(0, Threads - 1));
            Assert.That(i, Is.EqualTo(next[t]), $"{client.Transport} client {client.Sid}: thread {t}'s messages out of order or missing");
            Assert.That(text, Is.EqualTo(Expected(t, i)), $"{client.Transport} client {client.Sid}: message {t}/{i} altered");
            next[t]++;
        }

        if (complete)
        {
            Assert.That(next, Is.All.EqualTo(PerThread), $"{client.Transport} client {client.Sid} missed messages");
        }
    }

    private static async Task<List<BroadcastTestClient>> ConnectAsync(int count, Func<Task<BroadcastTestClient>> connect)
    {
        var clients = new List<BroadcastTestClient>();
        for (int i = 0; i < count; i++)
        {
            clients.Add(await connect());
        }

        return clients;
    }

    /// <summary>
    /// A string that differs from message to message in length and content; some need a 16-bit and a few a 64-bit
    /// WebSocket length, so every header size written into the buffer's reserved room is exercised.
    /// </summary>
    private static string Payload(int thread, int index)
    {
        int length = index % 50 == 7 ? 70_000 : index % 5 == 1 ? 300 + index : 10 + index % 90;
        var builder = new StringBuilder(length);
        for (int k = 0; k < length; k++)
        {
            builder.Append((char)('a' + ((thread * 7) + index + k) % 26));
        }

        return builder.ToString();
    }

    private static string Expected(int thread, int index) => $"2[\"m\",{thread},{index},\"{Payload(thread, index)}\"]";

    private static string Clip(string text) => text.Length > 80 ? text[..80] + "…" : text;

    [GeneratedRegex("^2\\[\"m\",(\\d+),(\\d+),\"")]
    private static partial Regex EventPattern();
}
