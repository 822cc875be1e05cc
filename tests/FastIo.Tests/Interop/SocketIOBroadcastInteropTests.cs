using System.Text.Json;
using FastIo.Server;
using NUnit.Framework;

namespace FastIo.Tests.Interop;

/// <summary>
/// Broadcasts to hundreds of socket.io-client 4.8 clients spread over rooms (exact delivery counts), and the
/// cluster handlers of <c>fastio conformance</c> driven by ten clients on a single node.
/// </summary>
[TestFixture]
[NonParallelizable]
public class SocketIOBroadcastInteropTests
{
    private const int Clients = 300;

    [Test]
    public async Task RoomsUnionsExceptsAndSocketBroadcastsReachExactlyTheirTargets()
    {
        await using var server = await SocketIOInteropServer.StartAsync();
        var result = await server.RunAsync("rooms", Clients.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Assert.That(result.GetProperty("clients").GetInt32(), Is.EqualTo(Clients));
        // The targets live on every shard, in near-equal numbers: each broadcast below crossed from the sender's shard
        // to all the others.
        var perShard = server.Sockets.Values.GroupBy(s => s.Client.Session.Shard).Select(g => g.Count()).ToList();
        Assert.That(perShard, Has.Count.EqualTo(SocketIOInteropServer.InteropShards));
        Assert.That(perShard, Has.All.InRange(Clients / SocketIOInteropServer.InteropShards - 10, Clients / SocketIOInteropServer.InteropShards + 10));
        // Client i is in rooms r(i % 3) and m(i % 5); client 0 (in r0 and m0) asks for the socket broadcasts.
        var cases = new (string Tag, Func<int, bool> Gets)[]
        {
            ("to-r0", i => i % 3 == 0),
            ("to-r0-to-m0", i => i % 3 == 0 || i % 5 == 0),
            ("except-r1", i => i % 3 != 1),
            ("to-m1-except-r2", i => i % 5 == 1 && i % 3 != 2),
            ("except-r0-m0", i => i % 3 != 0 && i % 5 != 0),
            ("socket-broadcast", i => i != 0),
            ("socket-to-r0", i => i != 0 && i % 3 == 0),
            ("socket-except-m0", i => i != 0 && i % 5 != 0),
            ("volatile-to-m2", i => i % 5 == 2),
        };
        var results = result.GetProperty("results");
        Assert.Multiple(() =>
        {
            foreach (var (tag, gets) in cases)
            {
                var expected = Enumerable.Range(0, Clients).Count(gets);
                var actual = results.GetProperty(tag);
                Assert.That(actual.GetProperty("count").GetInt32(), Is.EqualTo(expected), tag);
                Assert.That(actual.GetProperty("duplicates").GetInt32(), Is.Zero, tag);
                Assert.That(actual.GetProperty("sender").GetBoolean(), Is.EqualTo(gets(0)), tag + ": client 0");
                Assert.That(actual.GetProperty("first").EnumerateArray().Select(e => e.GetInt32()),
                    Is.EqualTo(Enumerable.Range(0, Clients).Where(gets).Take(3)), tag + ": first receivers");
            }
        });
    }

    [Test]
    public async Task ConformanceClusterHandlersWorkOnOneNode()
    {
        await using var server = await SocketIOInteropServer.StartAsync(configureIo: ConformanceApp.Configure);
        var r = await server.RunAsync("cluster");

        var ids = Strings(r.GetProperty("ids"));
        var c0 = ids[0];
        var c3 = ids[3];
        Assert.That(ids, Has.Count.EqualTo(10).And.Unique);
        Assert.That(Strings(r.GetProperty("broadcast")), Has.Count.EqualTo(10).And.All.EqualTo("hello from " + c0));
        Assert.That(r.GetProperty("volatileBroadcast").GetInt32(), Is.EqualTo(10));
        Assert.That(Strings(r.GetProperty("broadcastWithAck")), Is.EquivalentTo(ids.Select(id => "ack from " + id)));
        var fetched = r.GetProperty("fetchSockets").EnumerateArray().ToList();
        Assert.That(fetched.Select(s => s.GetProperty("id").GetString()), Is.EquivalentTo(ids));
        Assert.That(fetched.Select(s => s.GetProperty("ns").GetString()), Is.All.EqualTo("/"));

        string[] initial = ["room1", "room2", "room4", "room5"];
        Assert.That(Strings(r.GetProperty("roomsBefore")), Is.EquivalentTo(initial.Concat(ids)));
        var greetingRoom = "hello from " + c0;
        Assert.That(Strings(r.GetProperty("c3RoomsAfterJoin")), Is.EquivalentTo(initial.Append(c3).Append(greetingRoom)));
        Assert.That(Strings(r.GetProperty("c3RoomsAfterLeave")), Is.EquivalentTo(new[] { c3, "room1", "room2", "room5", greetingRoom }));
        Assert.That(Strings(r.GetProperty("c0Rooms")), Is.EquivalentTo(initial.Append(c0)), "only c3 was touched");
        Assert.That(r.GetProperty("unknownRooms").GetArrayLength(), Is.Zero);
        Assert.That(Strings(r.GetProperty("roomsAfter")), Is.EquivalentTo(new[] { "room1", "room2", "room5", "room7", greetingRoom }.Concat(ids)),
            "join_room adds room7 to everyone, leave_room takes room4 from everyone");

        Assert.That(r.GetProperty("emitFromRemote").GetString(), Is.EqualTo(greetingRoom));
        Assert.That(r.GetProperty("emitWithAckFromRemote").GetString(), Is.EqualTo("c3 got " + greetingRoom));
        Assert.That(r.GetProperty("emitsElsewhere").GetInt32(), Is.Zero, "remote-socket emits reach only their socket");

        Assert.That(r.GetProperty("c3Reason").GetString(), Is.EqualTo("io server disconnect"));
        Assert.That(r.GetProperty("fetchAfterOneLeft").GetInt32(), Is.EqualTo(9));
        Assert.That(Strings(r.GetProperty("everyoneReasons")), Has.Count.EqualTo(9).And.All.EqualTo("io server disconnect"));
    }

    private static List<string> Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToList();
}
