using System.Text.Json;
using System.Text.RegularExpressions;
using FastIo.EngineIO;
using FastIo.SocketIO;
using NUnit.Framework;

namespace FastIo.Tests.SocketIO;

public class SocketIOServerTests
{
    [Test]
    public void ConnectRepliesWithSidOnlyAndRunsConnectionHandlers()
    {
        using var h = new SocketIOHarness();
        Socket? connected = null;
        h.Io.OnConnection(s => connected = s);
        var client = h.Connect();
        var sid = client.ConnectAndGetSid();
        Assert.That(connected, Is.Not.Null);
        Assert.That(connected!.Id, Is.EqualTo(sid));
        Assert.That(client.Received[0], Is.EqualTo($"0{{\"sid\":\"{sid}\"}}"), "no pid without recovery");
        Assert.That(connected.Rooms, Is.EquivalentTo(new[] { sid }));
        Assert.That(connected.Handshake.Query["q"], Is.EqualTo("1"));
        Assert.That(connected.Handshake.Auth.ValueKind, Is.EqualTo(JsonValueKind.Object));
    }

    [Test]
    public void RecoveryAddsPidToTheConnectReply()
    {
        using var h = new SocketIOHarness(o => o.ConnectionStateRecovery = new ConnectionStateRecoveryOptions());
        var client = h.Connect();
        client.ConnectAndGetSid();
        Assert.That(client.Received[0], Does.Match("^0\\{\"sid\":\"[^\"]{20}\",\"pid\":\"[^\"]{20}\"\\}$"));
    }

    [Test]
    public void UnknownNamespaceGetsConnectError()
    {
        using var h = new SocketIOHarness();
        var client = h.Connect();
        client.Send("0/nope,");
        Assert.That(client.WaitFor(m => m.StartsWith("4", StringComparison.Ordinal)), Is.EqualTo("4/nope,{\"message\":\"Invalid namespace\"}"));
    }

    [Test]
    public void DynamicNamespacesAreCreatedFromTheirParent()
    {
        using var h = new SocketIOHarness();
        var seen = new List<string>();
        h.Io.Of(new Regex("^/room-\\d+$")).OnConnection(s => seen.Add(s.Namespace.Name));
        var client = h.Connect();
        client.ConnectAndGetSid("/room-7");
        Assert.That(seen, Is.EqualTo(new[] { "/room-7" }));
        Assert.That(h.Io.Namespaces.ContainsKey("/room-7"), Is.True);
        client.Send("0/other,");
        Assert.That(client.WaitFor(m => m.StartsWith("4/other", StringComparison.Ordinal)), Does.Contain("Invalid namespace"));
    }

    [Test]
    public void MiddlewareRejectionCarriesMessageAndData()
    {
        using var h = new SocketIOHarness();
        h.Io.Use((s, _) => s.Handshake.Auth.TryGetProperty("token", out JsonElement _)
            ? ValueTask.CompletedTask
            : throw new ConnectionRejectedException("not authorized", new { code = 42 }));
        var client = h.Connect();
        client.Send("0");
        Assert.That(client.WaitFor(m => m.StartsWith("4", StringComparison.Ordinal)), Is.EqualTo("4{\"message\":\"not authorized\",\"data\":{\"code\":42}}"));
        client.ConnectAndGetSid(auth: "{\"token\":\"x\"}");
    }

    [Test]
    public void EventsReachTypedHandlersAndAcksGoBack()
    {
        using var h = new SocketIOHarness();
        string? got = null;
        h.Io.OnConnection(s =>
        {
            s.On<string>("hello", v => got = v);
            s.On("sum", m => m.Ack(m.Get<int>(0) + m.Get<int>(1), "done"));
        });
        var client = h.Connect();
        client.ConnectAndGetSid();
        client.Send("2[\"hello\",\"world\"]");
        client.Send("27[\"sum\",2,3]");
        Assert.That(got, Is.EqualTo("world"));
        Assert.That(client.WaitFor(m => m.StartsWith("3", StringComparison.Ordinal)), Is.EqualTo("37[5,\"done\"]"));
    }

    [Test]
    public void BinaryArgumentsTravelAsAttachmentsBothWays()
    {
        using var h = new SocketIOHarness();
        byte[]? received = null;
        h.Io.OnConnection(s => s.On("upload", m =>
        {
            received = m.Get<byte[]>(0);
            s.Emit("download", new { file = new byte[] { 9, 8 } }, "x");
        }));
        var client = h.Connect();
        client.ConnectAndGetSid();
        var state = (SocketIOClient)client.Session.Items!;
        Assert.That(state.HoldsDecoder, Is.False, "connected and idle: no decoder");
        client.Send("51-[\"upload\",{\"_placeholder\":true,\"num\":0}]");
        Assert.That(state.HoldsDecoder, Is.True, "an attachment is awaited");
        client.SendBinary([1, 2, 3]);
        Assert.That(received, Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(state.HoldsDecoder, Is.False, "given back once the packet is whole");
        Assert.That(client.WaitFor(m => m.StartsWith("5", StringComparison.Ordinal)), Is.EqualTo("51-[\"download\",{\"file\":{\"_placeholder\":true,\"num\":0}},\"x\"]"));
    }

    [Test]
    public async Task ServerAcksResolveAndTimeOut()
    {
        using var h = new SocketIOHarness();
        Socket? socket = null;
        h.Io.OnConnection(s => socket = s);
        var client = h.Connect();
        client.ConnectAndGetSid();
        var pending = socket!.EmitWithAckAsync("question", 1);
        var sent = client.WaitFor(m => m.StartsWith("2", StringComparison.Ordinal));
        var id = Regex.Match(sent, "^2(\\d+)\\[").Groups[1].Value;
        client.Send($"3{id}[\"answer\",42]");
        var reply = await pending;
        Assert.That(reply.Get<string>(0), Is.EqualTo("answer"));
        Assert.That(reply.Get<int>(1), Is.EqualTo(42));

        Assert.That(async () => await socket.EmitWithAckAsync("silence", [], TimeSpan.FromMilliseconds(50)), Throws.InstanceOf<AckTimeoutException>());
    }

    [Test]
    public void PendingAcksFailWhenTheSocketDisconnects()
    {
        using var h = new SocketIOHarness();
        Socket? socket = null;
        h.Io.OnConnection(s => socket = s);
        var client = h.Connect();
        client.ConnectAndGetSid();
        var pending = socket!.EmitWithAckAsync("question");
        client.Send("1");
        Assert.That(async () => await pending, Throws.InstanceOf<SocketDisconnectedException>());
    }

    [Test]
    public void BroadcastHonoursRoomsExceptAndTheSender()
    {
        using var h = new SocketIOHarness();
        var sockets = new List<Socket>();
        h.Io.OnConnection(sockets.Add);
        var clients = Enumerable.Range(0, 6).Select(_ => h.Connect()).ToList();
        foreach (var c in clients)
        {
            c.ConnectAndGetSid();
        }

        sockets[0].Join("a");
        sockets[1].Join("a", "b");
        sockets[2].Join("b");
        sockets[3].Join("c");
        h.Io.To("a").Emit("to-a");
        h.Io.To("a").To("b").Except("c").Emit("a-or-b");
        h.Io.Except("a").Emit("not-a");
        sockets[1].To("b").Emit("from-1");
        sockets[0].Broadcast.Emit("all-but-0");

        int Count(string ev) => clients.Count(c => c.Received.Any(m => m.Contains($"\"{ev}\"", StringComparison.Ordinal)));
        Assert.That(Count("to-a"), Is.EqualTo(2));
        Assert.That(Count("a-or-b"), Is.EqualTo(3));
        Assert.That(Count("not-a"), Is.EqualTo(4));
        Assert.That(Count("from-1"), Is.EqualTo(1));
        Assert.That(Count("all-but-0"), Is.EqualTo(5));
    }

    [Test]
    public async Task BroadcastWithAckGathersEveryReplyOrReportsTheMissingOnes()
    {
        using var h = new SocketIOHarness();
        var clients = Enumerable.Range(0, 3).Select(_ => h.Connect()).ToList();
        foreach (var c in clients)
        {
            c.ConnectAndGetSid();
        }

        var all = h.Io.Timeout(TimeSpan.FromSeconds(5)).EmitWithAckAsync("poll");
        foreach (var c in clients)
        {
            var id = Regex.Match(c.WaitFor(m => m.StartsWith("2", StringComparison.Ordinal)), "^2(\\d+)").Groups[1].Value;
            c.Send($"3{id}[\"yes\"]");
        }

        Assert.That((await all).Select(r => r.Get<string>(0)), Is.EqualTo(new[] { "yes", "yes", "yes" }));

        var partial = h.Io.Timeout(TimeSpan.FromMilliseconds(100)).EmitWithAckAsync("again");
        var id0 = Regex.Match(clients[0].WaitFor(m => m.Contains("again", StringComparison.Ordinal)), "^2(\\d+)").Groups[1].Value;
        clients[0].Send($"3{id0}[\"only me\"]");
        var error = Assert.ThrowsAsync<AckTimeoutException>(async () => await partial);
        Assert.That(error!.Responses, Has.Count.EqualTo(1));
        Assert.That(error.Expected, Is.EqualTo(3));
    }

    [Test]
    public async Task FetchSocketsJoinLeaveAndDisconnectOperators()
    {
        using var h = new SocketIOHarness();
        var clients = Enumerable.Range(0, 4).Select(_ => h.Connect()).ToList();
        var sids = clients.Select(c => c.ConnectAndGetSid()).ToList();
        h.Io.In(sids[0], sids[1]).SocketsJoin("vip");
        Assert.That((await h.Io.In("vip").FetchSocketsAsync()).Select(s => s.Id), Is.EquivalentTo(sids.Take(2)));
        h.Io.In("vip").SocketsLeave("vip");
        Assert.That(await h.Io.In("vip").FetchSocketsAsync(), Is.Empty);
        var remote = (await h.Io.In(sids[2]).FetchSocketsAsync()).Single();
        Assert.That(remote.Rooms, Is.EquivalentTo(new[] { sids[2] }));
        remote.Disconnect();
        Assert.That(clients[2].WaitFor(m => m.StartsWith("1", StringComparison.Ordinal)), Is.EqualTo("1"));
        h.Io.DisconnectSockets(close: true);
        Assert.That(clients[3].Session.State, Is.Not.EqualTo(EngineSessionState.Open));
        Assert.That(h.Io.MainNamespace.Sockets, Is.Empty);
    }

    [Test]
    public void OneClientInSeveralNamespacesKeepsTheirSocketsApart()
    {
        using var h = new SocketIOHarness();
        var events = new List<string>();
        foreach (var name in new[] { "/", "/a", "/b" })
        {
            h.Io.Of(name).OnConnection(s =>
            {
                s.On("ev", _ => { lock (events) { events.Add("ev" + name); } });
                s.Disconnected += (_, reason) => { lock (events) { events.Add("gone" + name + ":" + reason); } };
            });
        }

        var client = h.Connect();
        var sids = new[] { client.ConnectAndGetSid(), client.ConnectAndGetSid("/a"), client.ConnectAndGetSid("/b") };
        Assert.That(sids.Distinct().Count(), Is.EqualTo(3));
        client.Send("2/a,[\"ev\"]");
        client.Send("2[\"ev\"]");
        client.Send("1/a,");
        client.Send("2/b,[\"ev\"]");
        client.Session.CloseCore("transport close");
        lock (events)
        {
            Assert.That(events.Take(4), Is.EqualTo(new[] { "ev/a", "ev/", "gone/a:client namespace disconnect", "ev/b" }));
            Assert.That(events.Skip(4), Is.EquivalentTo(new[] { "gone/:transport close", "gone/b:transport close" }));
        }
    }

    [Test]
    public void DisconnectReasonsAreSocketIos()
    {
        using var h = new SocketIOHarness();
        var reasons = new List<string>();
        h.Io.OnConnection(s => s.Disconnected += (_, reason) => reasons.Add(reason));
        var a = h.Connect();
        a.ConnectAndGetSid();
        a.Send("1");
        var b = h.Connect();
        b.ConnectAndGetSid();
        h.Io.MainNamespace.Sockets.Values.Single().Disconnect();
        var c = h.Connect();
        c.ConnectAndGetSid();
        c.Session.CloseCore("transport close");
        Assert.That(reasons, Is.EqualTo(new[] { "client namespace disconnect", "server namespace disconnect", "transport close" }));
    }

    [TestCase("4abc")]
    [TestCase("2{}")]
    [TestCase("2abc[\"x\"]")]
    public void MalformedPacketsCloseTheConnection(string packet)
    {
        using var h = new SocketIOHarness();
        var client = h.Connect();
        client.ConnectAndGetSid();
        client.Send(packet);
        Assert.That(client.Session.State, Is.Not.EqualTo(EngineSessionState.Open));
    }

    [Test]
    public void EventsForANamespaceNotJoinedCloseTheConnection()
    {
        using var h = new SocketIOHarness();
        h.Io.Of("/x");
        var client = h.Connect();
        client.ConnectAndGetSid();
        client.Send("2/x,[\"ev\"]");
        Assert.That(client.Session.State, Is.Not.EqualTo(EngineSessionState.Open));
    }

    [Test]
    public void ReservedEventNamesCannotBeEmitted()
    {
        using var h = new SocketIOHarness();
        Assert.That(() => h.Io.Emit("connect"), Throws.ArgumentException);
        Assert.That(() => h.Io.Emit("disconnecting"), Throws.ArgumentException);
    }

    [Test]
    public void RecoveredSocketGetsItsIdRoomsDataAndMissedEvents()
    {
        using var h = new SocketIOHarness(o => o.ConnectionStateRecovery = new ConnectionStateRecoveryOptions());
        h.Io.OnConnection(s =>
        {
            if (!s.Recovered)
            {
                s.Join("news");
                s.Data["name"] = "ada";
            }
        });
        var first = h.Connect();
        var sid = first.ConnectAndGetSid();
        var pid = Regex.Match(first.Received[0], "\"pid\":\"([^\"]+)\"").Groups[1].Value;
        h.Io.To("news").Emit("headline", 1);
        var offset = Regex.Match(first.WaitFor(m => m.Contains("headline", StringComparison.Ordinal)), ",\"([^\"]+)\"\\]$").Groups[1].Value;
        first.Session.CloseCore("transport close");

        h.Io.To("news").Emit("headline", 2);
        h.Io.To("sports").Emit("score", 3);

        var second = h.Connect();
        second.Send($"0{{\"pid\":\"{pid}\",\"offset\":\"{offset}\"}}");
        second.WaitFor(m => m.StartsWith($"0{{\"sid\":\"{sid}\"", StringComparison.Ordinal));
        Assert.That(second.WaitFor(m => m.Contains("headline", StringComparison.Ordinal)), Does.StartWith("2[\"headline\",2,"));
        Assert.That(second.Received.Any(m => m.Contains("score", StringComparison.Ordinal)), Is.False);
        var socket = h.Io.MainNamespace.Sockets[sid];
        Assert.That(socket.Recovered, Is.True);
        Assert.That(socket.Rooms, Does.Contain("news"));
        Assert.That(socket.Data["name"], Is.EqualTo("ada"));
    }

    [Test]
    public void MissedTextAndBinaryBroadcastsComeBackIntactAfterTheirPooledBuffersWereReleased()
    {
        // The store keeps pooled messages; a recovered socket gets copies, so neither the emit's release nor a later
        // reuse of the buffers may change what it receives (poisoned: a released buffer reads as '#').
        EngineMessage.PoisonReleased = true;
        try
        {
            using var h = new SocketIOHarness(o => o.ConnectionStateRecovery = new ConnectionStateRecoveryOptions());
            var first = h.Connect();
            var sid = first.ConnectAndGetSid();
            var pid = Regex.Match(first.Received[0], "\"pid\":\"([^\"]+)\"").Groups[1].Value;
            h.Io.Emit("seen", 0);
            var offset = Regex.Match(first.WaitFor(m => m.Contains("seen", StringComparison.Ordinal)), ",\"([^\"]+)\"\\]$").Groups[1].Value;
            first.Session.CloseCore("transport close");

            h.Io.Emit("text", "abc");
            h.Io.Emit("binary", new byte[] { 1, 2, 3 });
            h.Io.Emit("text", "def");

            var second = h.Connect();
            second.Send($"0{{\"pid\":\"{pid}\",\"offset\":\"{offset}\"}}");
            second.WaitFor(m => m.StartsWith($"0{{\"sid\":\"{sid}\"", StringComparison.Ordinal));
            second.WaitFor(m => m.Contains("def", StringComparison.Ordinal));
            var missed = second.Received.Skip(1).ToList();
            Assert.That(missed, Has.Count.EqualTo(4), string.Join(" | ", missed));
            Assert.That(missed[0], Does.Match("^2\\[\"text\",\"abc\",\"[0-9a-f]+\"\\]$"));
            Assert.That(missed[1], Does.Match("^51-\\[\"binary\",\\{\"_placeholder\":true,\"num\":0\\},\"[0-9a-f]+\"\\]$"));
            Assert.That(missed[2], Is.EqualTo("\u0001\u0002\u0003"));
            Assert.That(missed[3], Does.Match("^2\\[\"text\",\"def\",\"[0-9a-f]+\"\\]$"));
        }
        finally
        {
            EngineMessage.PoisonReleased = false;
        }
    }

    [Test]
    public void VolatileEventsAreDroppedWhenTheTransportIsNotWritable()
    {
        using var h = new SocketIOHarness();
        Socket? socket = null;
        h.Io.OnConnection(s => socket = s);
        var client = h.Connect();
        client.ConnectAndGetSid();
        var before = client.Received.Count;
        socket!.EmitVolatile("tick", 1);
        Assert.That(client.Received, Has.Count.EqualTo(before + 1), "writable: delivered");
    }

    [Test]
    public void ArgumentsRoundTripForEchoWithNestedBinary()
    {
        using var h = new SocketIOHarness();
        h.Io.OnConnection(s => s.On("echo", m => s.Emit("echo", m.ToArguments())));
        var client = h.Connect();
        client.ConnectAndGetSid();
        client.Send("52-[\"echo\",{\"a\":[1,{\"_placeholder\":true,\"num\":1}]},{\"_placeholder\":true,\"num\":0}]");
        client.SendBinary([7]);
        client.SendBinary([8, 8]);
        var reply = client.WaitFor(m => m.StartsWith("5", StringComparison.Ordinal));
        Assert.That(reply, Is.EqualTo("52-[\"echo\",{\"a\":[1,{\"_placeholder\":true,\"num\":0}]},{\"_placeholder\":true,\"num\":1}]"));
    }

    [Test]
    public void ConnectTimeoutClosesAConnectionThatJoinsNoNamespace()
    {
        using var h = new SocketIOHarness(o => o.ConnectTimeout = TimeSpan.FromMilliseconds(100));
        var idle = h.Connect();
        var active = h.Connect();
        active.ConnectAndGetSid();
        Assert.That(() => idle.Session.State, Is.EqualTo(EngineSessionState.Closed).After(3000, 20));
        Assert.That(active.Session.State, Is.EqualTo(EngineSessionState.Open));
    }

    [Test]
    public void SocketMiddlewareSeesEventsFirstAndCanStopThem()
    {
        using var h = new SocketIOHarness();
        var handled = new List<string>();
        var errors = new List<string>();
        h.Io.OnConnection(s =>
        {
            s.Use((m, _) => m.EventName == "forbidden" ? throw new InvalidOperationException("no") : ValueTask.CompletedTask);
            s.Error += (_, e) => errors.Add(e.Message);
            s.On("allowed", m => handled.Add(m.EventName));
            s.On("forbidden", m => handled.Add(m.EventName));
        });
        var client = h.Connect();
        client.ConnectAndGetSid();
        client.Send("2[\"allowed\"]");
        client.Send("2[\"forbidden\"]");
        Assert.That(() => handled, Is.EqualTo(new[] { "allowed" }).After(2000, 10));
        Assert.That(errors, Is.EqualTo(new[] { "no" }));
    }

    [Test]
    public void CatchAllListenersSeeIncomingAndOutgoingEvents()
    {
        using var h = new SocketIOHarness();
        var incoming = new List<string>();
        var outgoing = new List<string>();
        h.Io.OnConnection(s =>
        {
            s.OnAny(m => incoming.Add(m.EventName + ":" + m.Count));
            s.OnAnyOutgoing((name, args) => outgoing.Add(name + ":" + args.Length));
            s.On("ping", _ => s.Emit("pong", 1, 2));
        });
        var client = h.Connect();
        client.ConnectAndGetSid();
        client.Send("2[\"ping\",\"x\"]");
        client.Send("2[\"unhandled\"]");
        Assert.That(incoming, Is.EqualTo(new[] { "ping:1", "unhandled:0" }));
        Assert.That(outgoing, Is.EqualTo(new[] { "pong:2" }));
    }

    [Test]
    public void VolatileBroadcastSkipsClientsThatCannotTakeItNow()
    {
        using var h = new SocketIOHarness();
        var ready = h.Connect();
        ready.ConnectAndGetSid();
        var busy = h.Connect();
        busy.ConnectAndGetSid();
        busy.Writable = false; // a long-polling client between two GETs
        h.Io.Volatile.Emit("tick", 1);
        h.Io.Emit("news", 2);
        busy.Writable = true;
        busy.Session.OnTransportReady(busy.Transport);
        Assert.That(ready.Received.Count(m => m.Contains("tick", StringComparison.Ordinal)), Is.EqualTo(1));
        Assert.That(busy.Received.Count(m => m.Contains("tick", StringComparison.Ordinal)), Is.Zero, "volatile dropped");
        Assert.That(busy.Received.Count(m => m.Contains("news", StringComparison.Ordinal)), Is.EqualTo(1), "the rest was buffered");
    }

    [Test]
    public async Task ASecondConnectDuringMiddlewareClosesTheConnectionAndLeaksNothing()
    {
        using var h = new SocketIOHarness();
        var gate = new TaskCompletionSource();
        h.Io.Use(async (_, _) => await gate.Task);
        var client = h.Connect();
        client.Send("0");
        client.Send("0");
        Assert.That(client.Session.State, Is.Not.EqualTo(EngineSessionState.Open));
        gate.SetResult();
        await Task.Delay(50);
        Assert.That(h.Io.MainNamespace.Sockets, Is.Empty);
        Assert.That(h.Io.MainNamespace.Adapter.Rooms(), Is.Empty);
    }

    [Test]
    public void ConnectsToSeveralNamespacesAtOnceEachFinish()
    {
        using var h = new SocketIOHarness();
        var gate = new TaskCompletionSource();
        string[] names = ["/a", "/b", "/c"];
        foreach (var name in names)
        {
            h.Io.Of(name).Use(async (_, _) => await gate.Task);
        }

        var client = h.Connect();
        foreach (var name in names)
        {
            client.Send($"0{name},");
        }

        gate.SetResult();
        Assert.That(() => names.All(n => h.Io.Of(n).Sockets.Count == 1), Is.True.After(2000, 10));
        Assert.That(client.Session.State, Is.EqualTo(EngineSessionState.Open));

        // No connect is left marked as pending: each namespace can be left and joined again.
        foreach (var name in names)
        {
            client.Send($"1{name},");
            Assert.That(() => h.Io.Of(name).Sockets.Count, Is.Zero.After(2000, 10));
            client.Send($"0{name},");
            Assert.That(() => h.Io.Of(name).Sockets.Count, Is.EqualTo(1).After(2000, 10));
        }

        Assert.That(client.Session.State, Is.EqualTo(EngineSessionState.Open));
    }

    [Test]
    public void AConnectionHandlerAddedByAParentsHandlerAppliesFromTheNextConnection()
    {
        using var h = new SocketIOHarness();
        var added = new List<string>();
        h.Io.Of(new Regex("^/dyn$")).OnConnection(s =>
        {
            if (added.Count == 0 && s.Namespace.Sockets.Count == 1)
            {
                s.Namespace.OnConnection(t => added.Add(t.Id));
            }
        });
        var a = h.Connect();
        a.Send("0/dyn,");
        a.WaitFor(m => m.StartsWith("0/dyn", StringComparison.Ordinal));
        Assert.That(added, Is.Empty, "the socket whose connection added the handler");
        var b = h.Connect();
        b.Send("0/dyn,");
        b.WaitFor(m => m.StartsWith("0/dyn", StringComparison.Ordinal));
        Assert.That(added, Has.Count.EqualTo(1), "the next socket");
    }

    [Test]
    public void ASocketIOv2ClientsSecondConnectWithAQueryClosesTheConnection()
    {
        using var h = new SocketIOHarness();
        h.Io.Of("/admin");
        var client = h.Connect(protocol: 3);
        client.Send("0/admin?token=abc,");
        client.WaitFor(m => m.StartsWith("0/admin", StringComparison.Ordinal));
        client.Send("0/admin?token=abc,");
        Assert.That(client.Session.State, Is.Not.EqualTo(EngineSessionState.Open));
        Assert.That(h.Io.Of("/admin").Sockets.Count, Is.LessThanOrEqualTo(1));
    }

    [TestCase("/a")]
    [TestCase("/b")]
    public void ASecondConnectToAnyOfSeveralPendingNamespacesClosesTheConnection(string repeated)
    {
        using var h = new SocketIOHarness();
        var gate = new TaskCompletionSource();
        h.Io.Of("/a").Use(async (_, _) => await gate.Task);
        h.Io.Of("/b").Use(async (_, _) => await gate.Task);
        var client = h.Connect();
        client.Send("0/a,");
        client.Send("0/b,");
        Assert.That(client.Session.State, Is.EqualTo(EngineSessionState.Open));
        client.Send($"0{repeated},");
        Assert.That(client.Session.State, Is.Not.EqualTo(EngineSessionState.Open));
        gate.SetResult();
    }

    [Test]
    public void RefusedConnectionsLeaveNoDynamicNamespaceBehind()
    {
        using var h = new SocketIOHarness(o => o.CleanupEmptyChildNamespaces = true);
        h.Io.Of(new Regex("^/dyn-\\d+$")).Use((_, _) => throw new ConnectionRejectedException("no"));
        var client = h.Connect();
        for (var i = 0; i < 20; i++)
        {
            client.Send($"0/dyn-{i},");
        }

        Assert.That(() => h.Io.Namespaces.Keys, Is.EquivalentTo(new[] { "/" }).After(2000, 10));
    }

    [Test]
    public void UnexpectedMiddlewareFailuresDoNotLeakTheirMessage()
    {
        using var h = new SocketIOHarness();
        h.Io.Use((_, _) => throw new InvalidOperationException("connection string secret=42"));
        var client = h.Connect();
        client.Send("0");
        Assert.That(client.WaitFor(m => m.StartsWith("4", StringComparison.Ordinal)), Is.EqualTo("4{\"message\":\"Server error\"}"));
    }

    [Test]
    public async Task AnAcknowledgedBroadcastCompletesWhenATargetLeavesWithoutAnswering()
    {
        using var h = new SocketIOHarness();
        var a = h.Connect();
        a.ConnectAndGetSid();
        var b = h.Connect();
        b.ConnectAndGetSid();
        var all = h.Io.EmitWithAckAsync("poll");
        var id = Regex.Match(a.WaitFor(m => m.StartsWith("2", StringComparison.Ordinal)), "^2(\\d+)").Groups[1].Value;
        a.Send($"3{id}[\"yes\"]");
        b.Send("1"); // leaves without answering
        var replies = await all.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(replies, Has.Length.EqualTo(1));
    }

    [Test]
    public void ADisconnectedSocketCannotRejoinRooms()
    {
        using var h = new SocketIOHarness();
        Socket? socket = null;
        h.Io.OnConnection(s => socket = s);
        var client = h.Connect();
        client.ConnectAndGetSid();
        client.Send("1");
        socket!.Join("late");
        Assert.That(h.Io.MainNamespace.Adapter.Rooms(), Is.Empty);
    }

    [Test]
    public async Task RecoveryStorageIsSweptEvenWithoutDisconnections()
    {
        using var h = new SocketIOHarness(o => o.ConnectionStateRecovery = new ConnectionStateRecoveryOptions { MaxDisconnectionDuration = TimeSpan.FromMilliseconds(100) });
        var first = h.Connect();
        first.ConnectAndGetSid();
        var pid = Regex.Match(first.Received[0], "\"pid\":\"([^\"]+)\"").Groups[1].Value;
        h.Io.Emit("old", 1);
        var offset = Regex.Match(first.WaitFor(m => m.Contains("old", StringComparison.Ordinal)), ",\"([^\"]+)\"\\]$").Groups[1].Value;
        first.Session.CloseCore("transport close");
        await Task.Delay(600); // several sweeps later, both the session and the packet are gone
        var second = h.Connect();
        second.Send($"0{{\"pid\":\"{pid}\",\"offset\":\"{offset}\"}}");
        second.WaitFor(m => m.StartsWith("0{", StringComparison.Ordinal));
        Assert.That(h.Io.MainNamespace.Sockets.Values.Single().Recovered, Is.False);
    }

    [Test]
    public void SocketIOv2ClientsPutAuthInTheNamespaceQuery()
    {
        using var h = new SocketIOHarness();
        JsonElement auth = default;
        h.Io.Of("/admin").OnConnection(s => auth = s.Handshake.Auth);
        var client = h.Connect(protocol: 3);
        client.Send("0/admin?token=abc&x=1,");
        client.WaitFor(m => m.StartsWith("0/admin", StringComparison.Ordinal));
        Assert.That(auth.GetProperty("token").GetString(), Is.EqualTo("abc"));
        Assert.That(client.Received[0], Is.EqualTo("0"), "v2 clients join / implicitly, without a payload");
    }

    [Test]
    public void AnArrayArgumentStaysOneArgument()
    {
        using var h = new SocketIOHarness();
        Socket? socket = null;
        h.Io.OnConnection(s => socket = s);
        var client = h.Connect();
        client.ConnectAndGetSid();
        socket!.Emit("names", new[] { "a", "b" });
        Assert.That(client.WaitFor(m => m.Contains("names", StringComparison.Ordinal)), Is.EqualTo("2[\"names\",[\"a\",\"b\"]]"));
    }
}
