using FastIo.SocketIO;
using FastIo.SocketIO.Adapters;
using NUnit.Framework;

namespace FastIo.Tests.SocketIO;

/// <summary>
/// socket.io-adapter's contract, written once and run against every adapter: a cluster adapter derives a fixture
/// that supplies its own server factory.
/// </summary>
public abstract class AdapterContractTests
{
    /// <summary>A harness whose namespaces use the adapter under test.</summary>
    protected abstract SocketIOHarness CreateHarness();

    [Test]
    public void RoomsAreCreatedJoinedLeftAndDeletedWithEvents()
    {
        using var h = CreateHarness();
        var adapter = h.Io.MainNamespace.Adapter;
        var events = RecordRoomEvents(adapter, withSid: false);

        adapter.AddAll("s1", ["r1", "r2"]);
        adapter.AddAll("s2", ["r1"]);
        adapter.AddAll("s2", ["r1"]); // already in: nothing happens
        Assert.That(adapter.Rooms(), Is.EquivalentTo(new[] { "r1", "r2" }));
        Assert.That(adapter.Sockets(new HashSet<string> { "r1" }), Is.EquivalentTo(new[] { "s1", "s2" }));
        Assert.That(adapter.SocketRooms("s1"), Is.EquivalentTo(new[] { "r1", "r2" }));

        adapter.Del("s1", "r2");
        adapter.DelAll("s2");
        Assert.That(adapter.SocketRooms("s2"), Is.Null);
        Assert.That(adapter.Rooms(), Is.EquivalentTo(new[] { "r1" }));
        Assert.That(events, Is.EqualTo(new[]
        {
            "create:r1", "join:r1", "create:r2", "join:r2", "join:r1", "leave:r2", "delete:r2", "leave:r1",
        }));
    }

    [Test]
    public void ARoomNamedAfterASocketIdBehavesLikeAnyOtherRoom()
    {
        using var h = CreateHarness();
        var adapter = h.Io.MainNamespace.Adapter;
        var events = RecordRoomEvents(adapter, withSid: true);

        adapter.AddAll("a", ["a"]);
        adapter.AddAll("b", ["b"]);
        adapter.AddAll("a", ["a"]); // already in: nothing happens
        Assert.That(adapter.Rooms(), Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(adapter.SocketRooms("a"), Is.EquivalentTo(new[] { "a" }));
        Assert.That(adapter.Sockets(new HashSet<string> { "a" }), Is.EquivalentTo(new[] { "a" }));

        // Another socket joins the room named after a's id; a then leaves it: the room lives on with b alone.
        adapter.AddAll("b", ["a"]);
        Assert.That(adapter.Sockets(new HashSet<string> { "a" }), Is.EquivalentTo(new[] { "a", "b" }));
        adapter.Del("a", "a");
        Assert.That(adapter.SocketRooms("a"), Is.Empty);
        Assert.That(adapter.Sockets(new HashSet<string> { "a" }), Is.EquivalentTo(new[] { "b" }));
        Assert.That(adapter.Sockets(new HashSet<string>()), Is.EquivalentTo(new[] { "a", "b" }), "a socket in no room is still a socket");
        Assert.That(adapter.Rooms(), Is.EquivalentTo(new[] { "a", "b" }));
        adapter.Del("b", "a");
        Assert.That(adapter.Rooms(), Is.EquivalentTo(new[] { "b" }));

        // Back into its own room, into another one and out of it again, then gone.
        adapter.AddAll("a", ["a", "x"]);
        adapter.Del("a", "x");
        Assert.That(adapter.SocketRooms("a"), Is.EquivalentTo(new[] { "a" }));
        adapter.AddAll("b", ["a"]);
        adapter.DelAll("a");
        Assert.That(adapter.SocketRooms("a"), Is.Null);
        Assert.That(adapter.Sockets(new HashSet<string> { "a" }), Is.EquivalentTo(new[] { "b" }));
        adapter.DelAll("b");
        Assert.That(adapter.Rooms(), Is.Empty);
        Assert.That(events, Is.EqualTo(new[]
        {
            "create:a", "join:a:a", "create:b", "join:b:b",
            "join:a:b", "leave:a:a", "leave:a:b", "delete:a",
            "create:a", "join:a:a", "create:x", "join:x:a", "leave:x:a", "delete:x",
            "join:a:b", "leave:a:a",
            "leave:b:b", "delete:b", "leave:a:b", "delete:a",
        }));
    }

    [Test]
    public void ExceptASocketIdLeavesOutThatSocket()
    {
        using var h = CreateHarness();
        var clients = Enumerable.Range(0, 3).Select(_ => h.Connect()).ToList();
        var sids = clients.Select(c => c.ConnectAndGetSid()).ToList();
        var nsp = h.Io.MainNamespace;
        nsp.Sockets[sids[1]].Join(sids[0]);

        h.Io.Except(sids[0]).Emit("not-zero");
        h.Io.To(sids[0]).Emit("room-zero");
        h.Io.To(sids[0]).Except(sids[1]).Emit("zero-but-not-one");
        nsp.Sockets[sids[0]].Leave(sids[0]);
        h.Io.To(sids[0]).Emit("after-leave");

        int Count(string ev, int client) => clients[client].Received.Count(m => m.Contains($"\"{ev}\"", StringComparison.Ordinal));
        Assert.That(new[] { Count("not-zero", 0), Count("not-zero", 1), Count("not-zero", 2) }, Is.EqualTo(new[] { 0, 0, 1 }), "socket 1 is in room zero too");
        Assert.That(new[] { Count("room-zero", 0), Count("room-zero", 1), Count("room-zero", 2) }, Is.EqualTo(new[] { 1, 1, 0 }));
        Assert.That(new[] { Count("zero-but-not-one", 0), Count("zero-but-not-one", 1) }, Is.EqualTo(new[] { 1, 0 }));
        Assert.That(new[] { Count("after-leave", 0), Count("after-leave", 1) }, Is.EqualTo(new[] { 0, 1 }));
    }

    /// <summary>The adapter's room events as strings, in order: create:r, delete:r, join:r[:sid], leave:r[:sid].</summary>
    private static List<string> RecordRoomEvents(Adapter adapter, bool withSid)
    {
        var events = new List<string>();
        adapter.RoomCreated += room => events.Add("create:" + room);
        adapter.RoomDeleted += room => events.Add("delete:" + room);
        adapter.RoomJoined += (room, sid) => events.Add("join:" + room + (withSid ? ":" + sid : ""));
        adapter.RoomLeft += (room, sid) => events.Add("leave:" + room + (withSid ? ":" + sid : ""));
        return events;
    }

    [Test]
    public void SocketsWithoutRoomsMeansEverySocket()
    {
        using var h = CreateHarness();
        var adapter = h.Io.MainNamespace.Adapter;
        adapter.AddAll("a", ["a"]);
        adapter.AddAll("b", ["b", "x"]);
        Assert.That(adapter.Sockets(new HashSet<string>()), Is.EquivalentTo(new[] { "a", "b" }));
        Assert.That(adapter.Sockets(new HashSet<string> { "x", "nope" }), Is.EquivalentTo(new[] { "b" }));
    }

    [Test]
    public async Task ServerCountIsAtLeastOne()
    {
        using var h = CreateHarness();
        Assert.That(await h.Io.MainNamespace.Adapter.ServerCountAsync(), Is.GreaterThanOrEqualTo(1));
    }

    [Test]
    public void BroadcastReachesExactlyTheSelectedSockets()
    {
        using var h = CreateHarness();
        var clients = Enumerable.Range(0, 5).Select(_ => h.Connect()).ToList();
        var sids = clients.Select(c => c.ConnectAndGetSid()).ToList();
        var nsp = h.Io.MainNamespace;
        nsp.Sockets[sids[0]].Join("red");
        nsp.Sockets[sids[1]].Join("red", "blue");
        nsp.Sockets[sids[2]].Join("blue");

        h.Io.To("red").Except("blue").Emit("only-red");
        h.Io.To("red", "blue").Emit("red-or-blue");
        h.Io.Except("red").Except("blue").Emit("neither");
        h.Io.To(sids[4]).Emit("direct");

        int Count(string ev) => clients.Count(c => c.Received.Any(m => m.Contains($"\"{ev}\"", StringComparison.Ordinal)));
        Assert.That(Count("only-red"), Is.EqualTo(1));
        Assert.That(Count("red-or-blue"), Is.EqualTo(3));
        Assert.That(Count("neither"), Is.EqualTo(2));
        Assert.That(Count("direct"), Is.EqualTo(1));
        Assert.That(clients[1].Received.Count(m => m.Contains("red-or-blue", StringComparison.Ordinal)), Is.EqualTo(1), "once, though in both rooms");
    }
}

/// <summary>The contract against the in-memory adapter.</summary>
public sealed class InMemoryAdapterContractTests : AdapterContractTests
{
    protected override SocketIOHarness CreateHarness() => new();
}
