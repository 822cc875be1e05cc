using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using FastIo.SocketIO;
using FastIo.Tests.Hosting;
using FastIo.Transports.Hosting;
using FastIo.Transports.Sharding;
using NUnit.Framework;

namespace FastIo.Tests.Sharding;

/// <summary>
/// Socket.IO across four shards: a broadcast sent from one shard's handler reaches the sockets of every shard, an
/// acknowledged broadcast gathers the replies that arrive on every shard, and handlers run on their socket's shard.
/// </summary>
[TestFixture]
[NonParallelizable]
public class ShardedSocketIOTests
{
    private const int Shards = 4;
    private const int Clients = 24;

    [Test]
    public async Task BroadcastsAndAcknowledgedBroadcastsCrossEveryShard()
    {
        var handlerShards = new ConcurrentQueue<(string SocketId, int RanOn, int Owner)>();
        using var io = new SocketIOServer();
        io.OnConnection(socket =>
        {
            socket.On("tell-all", m =>
            {
                handlerShards.Enqueue((socket.Id, ShardScheduler.Current?.Index ?? -1, socket.Client.Session.Shard));
                socket.Broadcast.Emit("told", m.GetJson(0));
                m.Ack("sent");
            });

            // Starts an acknowledged broadcast to everybody from this socket's shard and acks the gathered replies.
            socket.On("ask-all", async m =>
            {
                handlerShards.Enqueue((socket.Id, ShardScheduler.Current?.Index ?? -1, socket.Client.Session.Shard));
                var replies = await io.Timeout(TimeSpan.FromSeconds(5)).EmitWithAckAsync("question", "what shard?");
                var answers = new List<string>();
                foreach (var reply in replies)
                {
                    answers.Add(reply.Get<string>(0)!);
                }

                m.Ack(answers);
            });
        });
        var options = new FastIoHostOptions { Shards = Shards };
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        await using var host = new FastIoHost(options, io);
        await host.StartAsync();
        var port = ((IPEndPoint)host.ListeningEndpoints[0]).Port;

        var clients = new List<RawSocketIOClient>();
        try
        {
            for (var i = 0; i < Clients; i++)
            {
                var client = new RawSocketIOClient();
                clients.Add(client);
                await client.ConnectAsync(port);
            }

            var shardsInUse = io.MainNamespace.Sockets.Values.Select(s => s.Client.Session.Shard).Distinct().Count();
            Assert.That(shardsInUse, Is.EqualTo(Shards), "the clients' sessions cover every shard");

            // A plain broadcast from client 0's shard reaches everybody else exactly once.
            await clients[0].EmitAsync("tell-all", 1, "hello");
            Assert.That((await clients[0].NextAckAsync(1))[0].GetString(), Is.EqualTo("sent"));
            for (var i = 1; i < Clients; i++)
            {
                var told = await clients[i].NextEventAsync("told");
                Assert.That(told[0].GetString(), Is.EqualTo("hello"), $"client {i}");
            }

            // The acknowledged broadcast: every client (on every shard) answers with its own socket id.
            await clients[5].EmitAsync("ask-all", 7);
            var answering = clients.Select(AnswerQuestionAsync).ToArray();
            await Task.WhenAll(answering);
            var answers = (await clients[5].NextAckAsync(7))[0].EnumerateArray().Select(e => e.GetString()).ToList();
            Assert.That(answers, Is.EquivalentTo(clients.Select(c => c.Sid)), "one reply from each client, from every shard");
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }

        Assert.That(handlerShards, Has.Count.EqualTo(2));
        Assert.That(handlerShards.Where(h => h.RanOn != h.Owner), Is.Empty, "a handler ran off its socket's shard");
    }

    private static async Task AnswerQuestionAsync(RawSocketIOClient client)
    {
        var packet = await client.NextAsync(m => m.StartsWith("42", StringComparison.Ordinal) && m.Contains("\"question\"", StringComparison.Ordinal));
        var ackId = packet[2..packet.IndexOf('[', StringComparison.Ordinal)];
        await client.SendAsync("43" + ackId + JsonSerializer.Serialize(new[] { client.Sid }));
    }
}
