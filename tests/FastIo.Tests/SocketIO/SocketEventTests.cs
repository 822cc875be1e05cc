using System.Text;
using FastIo.SocketIO;
using NUnit.Framework;

namespace FastIo.Tests.SocketIO;

/// <summary>
/// The in-place handler API (<see cref="SocketEventHandler"/> / <see cref="SocketEvent"/>): what it reads and sends,
/// and the lifetime rules: a handler that keeps the event (acknowledges or reads it later) must see this event's data
/// however many events arrive on the same connection in between.
/// </summary>
[TestFixture]
public sealed class SocketEventTests
{
    [Test]
    public void A_message_kept_with_ToMessage_is_acknowledged_later_with_its_own_data()
    {
        using var harness = new SocketIOHarness();
        var kept = new List<SocketMessage>();
        harness.Io.OnConnection(socket => socket.On("later", (in SocketEvent e) => kept.Add(e.ToMessage())));
        var client = harness.Connect();
        client.ConnectAndGetSid();

        // The events arrive in the same receive buffer one after the other; nothing is acknowledged during the handler.
        var buffer = new byte[64];
        for (int i = 1; i <= 3; i++)
        {
            var packet = Encoding.UTF8.GetBytes($"2{i}[\"later\",\"payload-{i}\"]");
            Array.Clear(buffer);
            packet.CopyTo(buffer, 0);
            client.Session.OnPacket(client.Transport, FastIo.EngineIO.EnginePacketType.Message, buffer.AsSpan(0, packet.Length), false);
        }

        Assert.That(client.Received.Any(m => m.StartsWith('3')), Is.False, "nothing acknowledged yet");
        Assert.That(kept.Select(m => m.Get<string>(0)), Is.EqualTo(new[] { "payload-1", "payload-2", "payload-3" }), "read later");

        // Acknowledged later, out of order, from outside the handler: each ack carries its own event's id and data.
        kept[2].Ack(kept[2].GetJson(0));
        kept[0].AckRawJson(kept[0].GetRawJson(0).Span);
        Assert.That(kept[1].Ack<string>(kept[1].Get<string>(0)!), Is.True);
        Assert.That(kept[1].Ack("again"), Is.False, "one acknowledgement per event");
        Assert.That(
            client.Received.Where(m => m.StartsWith('3')),
            Is.EqualTo(new[] { "33[\"payload-3\"]", "31[\"payload-1\"]", "32[\"payload-2\"]" }));
    }

    [Test]
    public void Every_handler_of_an_event_shares_one_acknowledgement_and_one_copy()
    {
        using var harness = new SocketIOHarness();
        SocketMessage? fromFirst = null;
        SocketMessage? fromSecond = null;
        bool? secondAck = null;
        harness.Io.OnConnection(socket =>
        {
            socket.On("e", (in SocketEvent e) => fromFirst = e.ToMessage());
            socket.On("e", (in SocketEvent e) =>
            {
                fromSecond = e.ToMessage();
                secondAck = e.Ack(1);
            });
            socket.On("e", m => Assert.That(m.Ack(2), Is.False, "the in-place handler acknowledged already"));
        });
        var client = harness.Connect();
        client.ConnectAndGetSid();
        client.Send("27[\"e\"]");

        Assert.That(secondAck, Is.True);
        Assert.That(fromSecond, Is.SameAs(fromFirst));
        Assert.That(fromFirst!.Ack(3), Is.False, "acknowledged through the event");
        Assert.That(client.Received.Where(m => m.StartsWith('3')), Is.EqualTo(new[] { "37[1]" }));
    }

    [Test]
    public void Names_match_escaped_and_numeric_forms_and_other_namespaces_and_binary_events()
    {
        using var harness = new SocketIOHarness();
        var seen = new List<string>();
        void Configure(FastIo.SocketIO.Socket socket) =>
            socket.On("echo", (in SocketEvent e) =>
            {
                seen.Add(socket.Namespace.Name + ":" + e.EventName + ":" + e.Count);
                e.Ack(e.Get<byte[]>(0) is { } bytes ? bytes.Length : -1);
            })
            .On("42", (in SocketEvent e) => seen.Add("number:" + e.EventName));
        harness.Io.OnConnection(Configure);
        harness.Io.Of("/admin").OnConnection(Configure);
        var client = harness.Connect();
        client.ConnectAndGetSid();
        client.ConnectAndGetSid("/admin");

        client.Send("21[\"\\u0065cho\",null]");
        client.Send("2/admin,2[\"echo\",null]");
        client.Send("2[42]");
        client.Send("51-3[\"echo\",{\"_placeholder\":true,\"num\":0}]");
        client.SendBinary([1, 2, 3, 4]);

        Assert.That(seen, Is.EqualTo(new[] { "/:echo:1", "/admin:echo:1", "number:42", "/:echo:1" }));
        Assert.That(client.Received.Where(m => m.StartsWith('3')), Is.EqualTo(new[] { "31[-1]", "3/admin,2[-1]", "33[4]" }));
    }

    [Test]
    public void AckRawJson_refuses_what_is_not_one_json_value_and_sends_nothing()
    {
        using var harness = new SocketIOHarness();
        Exception? refused = null;
        harness.Io.OnConnection(socket => socket.On("e", (in SocketEvent e) =>
        {
            try
            {
                e.AckRawJson("1,2"u8);
            }
            catch (ArgumentException ex)
            {
                refused = ex;
            }

            e.AckRawJson("{\"ok\":true}"u8);
        }));
        var client = harness.Connect();
        client.ConnectAndGetSid();
        client.Send("28[\"e\"]");

        Assert.That(refused, Is.Not.Null);
        Assert.That(client.Received.Where(m => m.StartsWith('3')), Is.EqualTo(new[] { "38[{\"ok\":true}]" }));
    }

    [Test]
    public void Middleware_and_catch_all_listeners_still_see_in_place_events()
    {
        using var harness = new SocketIOHarness();
        var order = new List<string>();
        harness.Io.OnConnection(socket =>
        {
            socket.OnAny(m => order.Add("any:" + m.EventName));
            socket.Use(async (m, _) =>
            {
                await Task.Yield();
                order.Add("middleware:" + m.Get<int>(0));
            });
            socket.On("e", (in SocketEvent e) =>
            {
                order.Add("handler:" + e.Get<int>(0));
                e.Ack(e.GetRawJson(0).Length);
            });
        });
        var client = harness.Connect();
        client.ConnectAndGetSid();
        client.Send("29[\"e\",12345]");

        client.WaitFor(m => m == "39[5]");
        Assert.That(order, Is.EqualTo(new[] { "any:e", "middleware:12345", "handler:12345" }));
    }
}
