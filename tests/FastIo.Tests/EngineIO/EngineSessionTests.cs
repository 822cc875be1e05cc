using System.Text;
using FastIo.EngineIO;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace FastIo.Tests.EngineIO;

public class EngineSessionTests
{
    private FakeTimeProvider _time = null!;
    private RecordingHandler _handler = null!;
    private EngineServer _server = null!;

    [SetUp]
    public void SetUp()
    {
        _time = new FakeTimeProvider();
        _handler = new RecordingHandler();
        _server = new EngineServer(
            new EngineOptions
            {
                PingInterval = TimeSpan.FromMilliseconds(300),
                PingTimeout = TimeSpan.FromMilliseconds(200),
                UpgradeTimeout = TimeSpan.FromMilliseconds(1000),
                TimeProvider = _time,
                AllowEIO3 = true,
            },
            _handler);
    }

    [TearDown]
    public void TearDown() => _server.Dispose();

    private static EngineRequestInfo Request() => new("GET", "/engine.io/?EIO=4&transport=websocket", [], null, false);

    private void Advance(int ms)
    {
        // Step in small increments so the wheel's periodic timer runs as it would in real time.
        for (var i = 0; i < ms; i += 10)
        {
            _time.Advance(TimeSpan.FromMilliseconds(10));
        }
    }

    [Test]
    public void OpenPacketHasExactlyTheFiveKeys()
    {
        var transport = new FakeTransport("polling");
        var session = _server.Handshake(4, transport, Request(), true);
        Assert.That(transport.Sent[0].Type, Is.EqualTo(EnginePacketType.Open));
        Assert.That(
            transport.Sent[0].Data,
            Is.EqualTo($"{{\"sid\":\"{session.Id}\",\"upgrades\":[\"websocket\"],\"pingInterval\":300,\"pingTimeout\":200,\"maxPayload\":1000000}}"));
        Assert.That(session.Id, Has.Length.EqualTo(20));
        Assert.That(_handler.Events, Is.EqualTo(new[] { "open" }));
    }

    [Test]
    public void OpenPacketOfASidThatNeedsEscapingIsStillValidJson()
    {
        // FastIo's sids never need escaping (the open packet is then written by hand); any other goes through the JSON writer.
        var open = _server.BuildOpenPacket("a\"b\\c", new FakeTransport());
        using var json = System.Text.Json.JsonDocument.Parse(open);
        Assert.That(json.RootElement.GetProperty("sid").GetString(), Is.EqualTo("a\"b\\c"));
        Assert.That(json.RootElement.GetProperty("maxPayload").GetInt64(), Is.EqualTo(1_000_000));
    }

    [Test]
    public void WebSocketSessionsAnnounceNoUpgrades()
    {
        var transport = new FakeTransport();
        _server.Handshake(4, transport, Request(), true);
        Assert.That(transport.Sent[0].Data, Does.Contain("\"upgrades\":[]"));
    }

    [Test]
    public void AWebSocketSessionHoldsAWriteBufferOnlyWhilePacketsWait()
    {
        var transport = new FakeTransport { Copies = true };
        var session = _server.Handshake(4, transport, Request(), true);
        Advance(310); // a ping goes out too
        Assert.That(transport.Sent.Select(p => p.Type), Is.EqualTo(new[] { EnginePacketType.Open, EnginePacketType.Ping }));
        Assert.That(session.HoldsWriteBuffer, Is.False, "open and ping went straight to the transport");

        transport.Writable = false;
        session.SendText("a");
        session.SendText("b");
        Assert.That(session.HoldsWriteBuffer, Is.True, "waiting packets");

        transport.Writable = true;
        session.SendText("c"); // flushes what waits first, in order
        Assert.That(transport.Sent.Skip(2).Select(p => p.Data), Is.EqualTo(new[] { "a", "b", "c" }));
        Assert.That(session.HoldsWriteBuffer, Is.False, "dropped once emptied");
    }

    [Test]
    public void APacketAndItsAttachmentsGoStraightToAWebSocketInOrderWithoutAWriteBuffer()
    {
        var transport = new FakeTransport { Copies = true };
        var session = _server.Handshake(4, transport, Request(), true);
        var header = new EngineMessage(Encoding.UTF8.GetBytes("51-[\"x\",{\"_placeholder\":true,\"num\":0}]"), isBinary: false);
        var attachment = new EngineMessage(new byte[] { 1, 2, 3 }, isBinary: true);
        bool? heldDuringSend = null;
        transport.DuringNextSend = () => heldDuringSend = session.HoldsWriteBuffer;

        Assert.That(session.Send([header, attachment]), Is.True);
        Assert.Multiple(() =>
        {
            Assert.That(transport.Sent.Skip(1).Select(p => p.Type), Is.EqualTo(new[] { EnginePacketType.Message, EnginePacketType.Message }));
            Assert.That(transport.Sent[1].Data, Does.StartWith("51-"));
            Assert.That(heldDuringSend, Is.False, "a binary emit on a WebSocket needs no write buffer (one List per message otherwise)");
            Assert.That(session.HoldsWriteBuffer, Is.False);
        });
    }

    [Test]
    public void APacketAndItsAttachmentsAnswerOneGetTogether()
    {
        var transport = new FakeTransport("polling");
        var session = _server.Handshake(4, transport, Request(), true);
        var header = new EngineMessage(Encoding.UTF8.GetBytes("51-[\"x\",{\"_placeholder\":true,\"num\":0}]"), isBinary: false);
        var attachment = new EngineMessage(new byte[] { 1, 2, 3 }, isBinary: true);
        int? sentAtFirstSend = null;
        transport.DuringNextSend = () => sentAtFirstSend = transport.Sent.Count;

        Assert.That(session.Send([header, attachment]), Is.True);
        Assert.That(sentAtFirstSend, Is.EqualTo(3), "OPEN, then the packet and its attachment in one Send (one GET answer)");
    }

    [Test]
    public void APacketBufferedWhileABatchIsBeingSentWaitsForTheNextFlush()
    {
        // Long-polling: the batch answers a GET, and a message a handler sends while that answer completes on the
        // same thread (inline) belongs to the next GET; it must not be cleared with the batch it did not ride in.
        var transport = new FakeTransport("polling");
        var session = _server.Handshake(4, transport, Request(), true);
        transport.Writable = false;
        session.SendText("a");
        transport.DuringNextSend = () =>
        {
            transport.Writable = false; // the GET is answered
            session.SendText("late");
        };
        transport.Writable = true; // a GET arrives
        session.OnTransportReady(transport);
        Assert.That(transport.Sent.Skip(1).Select(p => p.Data), Is.EqualTo(new[] { "a" }));

        transport.Writable = true; // the next GET
        session.OnTransportReady(transport);
        Assert.That(transport.Sent.Skip(1).Select(p => p.Data), Is.EqualTo(new[] { "a", "late" }));
    }

    [Test]
    public void V4ServerPingsAndClosesWithoutPong()
    {
        var transport = new FakeTransport();
        var session = _server.Handshake(4, transport, Request(), true);
        Advance(290);
        Assert.That(transport.Sent, Has.Count.EqualTo(1));
        Advance(20);
        Assert.That(transport.Sent[^1].Type, Is.EqualTo(EnginePacketType.Ping));

        session.OnPacket(transport, EnginePacketType.Pong, default, false);
        Advance(290);
        Assert.That(transport.Sent.Count(p => p.Type == EnginePacketType.Ping), Is.EqualTo(1));
        Advance(20);
        Assert.That(transport.Sent.Count(p => p.Type == EnginePacketType.Ping), Is.EqualTo(2));

        // that ping went out at 610 ms (300 ms after the pong at 310): the pong is due by 810 ms
        Advance(170);
        Assert.That(session.State, Is.EqualTo(EngineSessionState.Open));
        Assert.That(session.IsHeartbeatOverdue(), Is.False);
        Advance(30);
        // the timeout closes the session off the wheel's thread
        Assert.That(() => session.State, Is.EqualTo(EngineSessionState.Closed).After(2000, 5));
        Assert.That(() => _handler.Events[^1], Is.EqualTo("close:ping timeout").After(2000, 5));
        Assert.That(_server.SessionCount, Is.Zero);
    }

    [Test]
    public void AnOverdueSessionIsRefusedEvenBeforeTheWheelFires()
    {
        // A wheel ticking once an hour stands for one that is late: only the deadline check can close the session.
        using var late = new EngineServer(
            new EngineOptions
            {
                PingInterval = TimeSpan.FromMilliseconds(300),
                PingTimeout = TimeSpan.FromMilliseconds(200),
                TimeProvider = _time,
                TimerResolution = TimeSpan.FromHours(1),
            },
            _handler);
        var session = late.Handshake(4, new FakeTransport("polling") { Writable = false }, Request(), true);
        Advance(490);
        Assert.That(late.Verify("GET", "4", "polling", session.Id, false, out _, out _), Is.Null);
        Advance(20);
        Assert.That(session.IsHeartbeatOverdue(), Is.True);
        Assert.That(late.Verify("GET", "4", "polling", session.Id, false, out _, out _), Is.EqualTo(EngineErrorCode.UnknownSid));
        Assert.That(_handler.Events[^1], Is.EqualTo("close:ping timeout"));
    }

    [Test]
    public void V3ClientPingsAndGetsPong()
    {
        var transport = new FakeTransport();
        var session = _server.Handshake(3, transport, Request(), true);
        Advance(400);
        session.OnPacket(transport, EnginePacketType.Ping, "probe"u8, false);
        Assert.That(transport.Sent[^1], Is.EqualTo((EnginePacketType.Pong, "probe")));
        Advance(400);
        Assert.That(session.State, Is.EqualTo(EngineSessionState.Open));
        Advance(200); // 500 ms (interval + timeout) after the last ping
        Assert.That(() => _handler.Events[^1], Is.EqualTo("close:ping timeout").After(2000, 5));
    }

    [Test]
    public void WrongHeartbeatDirectionIsATransportError()
    {
        var transport = new FakeTransport();
        var session = _server.Handshake(4, transport, Request(), true);
        session.OnPacket(transport, EnginePacketType.Ping, default, false);
        Assert.That(_handler.Events[^1], Is.EqualTo("close:transport error"));
    }

    [Test]
    public void MessagesReachTheHandlerAndSendsReachTheTransport()
    {
        var transport = new FakeTransport();
        var session = _server.Handshake(4, transport, Request(), true);
        session.OnPacket(transport, EnginePacketType.Message, "hi"u8, false);
        session.OnPacket(transport, EnginePacketType.Message, new byte[] { 1, 2 }, true);
        session.SendText("back");
        Assert.That(_handler.Events, Is.EqualTo(new[] { "open", "text:hi", "binary:\u0001\u0002" }));
        Assert.That(transport.Sent[^1], Is.EqualTo((EnginePacketType.Message, "back")));
    }

    [Test]
    public void PacketsWaitInTheBufferUntilTheTransportIsWritable()
    {
        var transport = new FakeTransport("polling") { Writable = false };
        var session = _server.Handshake(4, transport, Request(), true);
        session.SendText("a");
        session.SendText("b");
        Assert.That(transport.Sent, Is.Empty);
        transport.Writable = true;
        session.OnTransportReady(transport);
        Assert.That(transport.Sent.Select(p => p.Type), Is.EqualTo(new[] { EnginePacketType.Open, EnginePacketType.Message, EnginePacketType.Message }));
    }

    [Test]
    public void AClientThatDoesNotPollIsDroppedOnceItsBufferIsFull()
    {
        using var server = new EngineServer(new EngineOptions { MaxBufferedPackets = 3, TimeProvider = _time }, _handler);
        var transport = new FakeTransport("polling") { Writable = false };
        var session = server.Handshake(4, transport, Request(), true); // the OPEN packet waits too
        session.SendText("a");
        session.SendText("b");
        Assert.That(session.State, Is.EqualTo(EngineSessionState.Open));
        session.SendText("c");
        Assert.That(session.State, Is.EqualTo(EngineSessionState.Closed));
        // closed from inside the session lock: the application hears of it on the thread pool
        Assert.That(() => _handler.Events[^1], Is.EqualTo("close:transport error").After(2000, 10));
    }

    [Test]
    public void UpgradeSwitchesTransportsAfterProbeAndUpgradePacket()
    {
        var polling = new FakeTransport("polling");
        var session = _server.Handshake(4, polling, Request(), true);
        var ws = new FakeTransport();
        Assert.That(session.TryBeginUpgrade(ws), Is.True);
        Assert.That(session.TryBeginUpgrade(new FakeTransport()), Is.False, "one upgrade at a time");
        session.OnPacket(ws, EnginePacketType.Ping, "probe"u8, false);
        Assert.That(ws.Sent[^1], Is.EqualTo((EnginePacketType.Pong, "probe")));
        Assert.That(polling.Sent[^1].Type, Is.EqualTo(EnginePacketType.Noop), "the waiting GET is released");
        session.OnPacket(ws, EnginePacketType.Upgrade, default, false);
        Assert.That(session.TransportName, Is.EqualTo("websocket"));
        Assert.That(session.Upgraded, Is.True);
        session.SendText("on ws");
        Assert.That(ws.Sent[^1], Is.EqualTo((EnginePacketType.Message, "on ws")));
        Assert.That(session.TryBeginUpgrade(new FakeTransport()), Is.False, "already upgraded");
    }

    [Test]
    public void UpgradeTimesOutAndTheSessionStaysOnPolling()
    {
        var polling = new FakeTransport("polling");
        var session = _server.Handshake(4, polling, Request(), true);
        var ws = new FakeTransport();
        Assert.That(session.TryBeginUpgrade(ws), Is.True);
        // keep the heartbeat alive meanwhile
        for (var i = 0; i < 5; i++)
        {
            Advance(310);
            session.OnPacket(polling, EnginePacketType.Pong, default, false);
        }

        Assert.That(ws.Closes, Is.EqualTo(1));
        Assert.That(session.IsUpgrading, Is.False);
        Assert.That(session.State, Is.EqualTo(EngineSessionState.Open));
        Assert.That(session.TransportName, Is.EqualTo("polling"));
    }

    [Test]
    public void ClosePacketClosesWithTransportClose()
    {
        var transport = new FakeTransport();
        var session = _server.Handshake(4, transport, Request(), true);
        session.OnPacket(transport, EnginePacketType.Close, default, false);
        Assert.That(session.State, Is.EqualTo(EngineSessionState.Closed));
        Assert.That(_handler.Events[^1], Is.EqualTo("close:transport close"));
        session.SendText("dropped");
        Assert.That(transport.Sent.Any(p => p.Data == "dropped"), Is.False);
    }

    [Test]
    public void VerifyFollowsEngineIoOrder()
    {
        Assert.That(_server.Verify("GET", "4", "abc", null, false, out _, out _), Is.EqualTo(EngineErrorCode.UnknownTransport));
        Assert.That(_server.Verify("GET", "4", null, null, false, out _, out _), Is.EqualTo(EngineErrorCode.UnknownTransport));
        Assert.That(_server.Verify("GET", "4", "polling", "nope", false, out _, out _), Is.EqualTo(EngineErrorCode.UnknownSid));
        Assert.That(_server.Verify("POST", "4", "polling", null, false, out _, out _), Is.EqualTo(EngineErrorCode.BadHandshakeMethod));
        Assert.That(_server.Verify("GET", "4", "websocket", null, false, out _, out _), Is.EqualTo(EngineErrorCode.BadRequest));
        Assert.That(_server.Verify("GET", "4", "polling", null, false, out _, out var p4), Is.Null);
        Assert.That(p4, Is.EqualTo(4));
        Assert.That(_server.Verify("GET", null, "polling", null, false, out _, out var p3), Is.Null, "v3 allowed here");
        Assert.That(p3, Is.EqualTo(3));

        using var strict = new EngineServer(new EngineOptions(), _handler);
        Assert.That(strict.Verify("GET", null, "polling", null, false, out _, out _), Is.EqualTo(EngineErrorCode.UnsupportedProtocolVersion));
        Assert.That(strict.Verify("GET", "abc", "polling", null, false, out _, out _), Is.EqualTo(EngineErrorCode.UnsupportedProtocolVersion));

        var ws = _server.Handshake(4, new FakeTransport(), Request(), true);
        Assert.That(_server.Verify("GET", "4", "polling", ws.Id, false, out _, out _), Is.EqualTo(EngineErrorCode.BadRequest), "transport mismatch");
        Assert.That(_server.Verify("GET", "4", "websocket", ws.Id, true, out var found, out _), Is.Null);
        Assert.That(found, Is.SameAs(ws));
    }

    [Test]
    public void QueryStringParserDecodes()
    {
        Assert.That(QueryStringParser.Get("EIO=4&transport=polling&t=N8h", "transport"), Is.EqualTo("polling"));
        Assert.That(QueryStringParser.Get("a=1&b", "b"), Is.EqualTo(""));
        Assert.That(QueryStringParser.Get("a=x%20y+z", "a"), Is.EqualTo("x y z"));
        Assert.That(QueryStringParser.Get("a=1", "b"), Is.Null);
        Assert.That(Encoding.UTF8.GetString(EngineErrors.JsonBody(EngineErrorCode.Forbidden, "nope")), Is.EqualTo("{\"code\":4,\"message\":\"nope\"}"));
    }
}
