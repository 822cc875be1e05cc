using System.Text.RegularExpressions;
using FastIo.SocketIO;
using NUnit.Framework;

namespace FastIo.Tests.SocketIO;

/// <summary>
/// A socket's event handler table (<see cref="SocketHandlerTable"/>): the small linear form, the switch to a dictionary
/// past <see cref="SocketHandlerTable.MaxLinearNames"/> names, several handlers per name in order, removal, and the
/// same through <see cref="Socket.On(string, SocketEventHandler)"/>/<see cref="Socket.Off"/> with real dispatch.
/// </summary>
[TestFixture]
public sealed class SocketHandlerTableTests
{
    private static readonly Action<SocketMessage> s_a = _ => { };
    private static readonly Action<SocketMessage> s_b = _ => { };
    private static readonly Action<SocketMessage> s_c = _ => { };

    [Test]
    public void An_empty_table_finds_nothing_and_removing_from_it_is_a_no_op()
    {
        var empty = default(SocketHandlerTable);
        Assert.That(empty.Count, Is.Zero);
        Assert.That(empty.Find("x"), Is.Null);
        Assert.That(empty.Find("".AsSpan(), out var name), Is.Null);
        Assert.That(name, Is.Null);
        Assert.That(empty.Without("x").State, Is.Null);
    }

    [Test]
    public void One_handler_per_name_is_stored_as_itself_and_several_as_an_array_in_the_order_added()
    {
        var table = default(SocketHandlerTable).With("e", s_a);
        Assert.That(table.Find("e"), Is.SameAs(s_a));

        var two = table.With("e", s_b).With("e", s_c);
        Assert.That(two.Count, Is.EqualTo(1));
        Assert.That(two.Find("e"), Is.EqualTo(new Delegate[] { s_a, s_b, s_c }));
        Assert.That(table.Find("e"), Is.SameAs(s_a), "the table it was made from is unchanged (copy on write)");
    }

    [TestCase(1)]
    [TestCase(SocketHandlerTable.MaxLinearNames)]
    [TestCase(SocketHandlerTable.MaxLinearNames + 1)]
    [TestCase(40)]
    public void Every_name_is_found_by_string_and_by_characters_on_both_sides_of_the_dictionary_threshold(int names)
    {
        var table = default(SocketHandlerTable);
        var handlers = new Action<SocketMessage>[names];
        var registeredNames = new string[names];
        for (var i = 0; i < names; i++)
        {
            handlers[i] = _ => { };
            registeredNames[i] = "event" + i;
            table = table.With(registeredNames[i], handlers[i]);
        }

        Assert.That(table.Count, Is.EqualTo(names));
        Span<char> chars = stackalloc char[16];
        Assert.That(table.State, names > SocketHandlerTable.MaxLinearNames ? Is.InstanceOf<Dictionary<string, object>>() : Is.InstanceOf<object[]>());
        for (var i = 0; i < names; i++)
        {
            var lookedUp = "event" + i; // an equal string, not the registered instance
            Assert.That(table.Find(lookedUp), Is.SameAs(handlers[i]));
            lookedUp.AsSpan().CopyTo(chars);
            Assert.That(table.Find(chars[..lookedUp.Length], out var found), Is.SameAs(handlers[i]));
            Assert.That(found, Is.SameAs(registeredNames[i]), "the registered string is returned");
        }

        // Prefixes, extensions and case variants of a registered name are other names.
        Assert.That(table.Find("event"), Is.Null);
        Assert.That(table.Find("event0x"), Is.Null);
        Assert.That(table.Find("EVENT0"), Is.Null);
        Assert.That(table.Find(""), Is.Null);

        // A second handler for a name already present, past the threshold too.
        var extra = table.With("event0", s_b);
        Assert.That(extra.Count, Is.EqualTo(names));
        Assert.That(extra.Find("event0"), Is.EqualTo(new Delegate[] { handlers[0], s_b }));
    }

    [TestCase(3)]
    [TestCase(SocketHandlerTable.MaxLinearNames + 3)]
    public void Removing_a_name_keeps_the_others_and_removing_a_missing_one_keeps_the_same_table(int names)
    {
        var table = default(SocketHandlerTable);
        for (var i = 0; i < names; i++)
        {
            table = table.With("e" + i, s_a);
        }

        var middle = table.Without("e1");
        Assert.That(middle.Count, Is.EqualTo(names - 1));
        Assert.That(middle.Find("e1"), Is.Null);
        Assert.That(middle.Find("e0"), Is.SameAs(s_a));
        Assert.That(middle.Find("e" + (names - 1)), Is.SameAs(s_a));
        Assert.That(table.Find("e1"), Is.SameAs(s_a), "the table it was made from is unchanged");
        Assert.That(middle.Without("e1").State, Is.SameAs(middle.State));
        Assert.That(middle.Without("nope").State, Is.SameAs(middle.State));

        var none = table;
        for (var i = 0; i < names; i++)
        {
            none = none.Without("e" + i);
        }

        Assert.That(none.Count, Is.Zero);
        Assert.That(none.Find("e0"), Is.Null);
    }

    [Test]
    public void Null_names_and_handlers_are_refused()
    {
        Assert.That(() => default(SocketHandlerTable).With(null!, s_a), Throws.ArgumentNullException);
        Assert.That(() => default(SocketHandlerTable).With("e", null!), Throws.ArgumentNullException);
        Assert.That(() => default(SocketHandlerTable).Without(null!), Throws.ArgumentNullException);
    }

    [Test]
    public void A_socket_with_many_events_dispatches_each_and_Off_removes_only_its_own()
    {
        using var harness = new SocketIOHarness();
        var calls = new List<string>();
        harness.Io.OnConnection(socket =>
        {
            for (var i = 0; i < 12; i++)
            {
                var name = "e" + i;
                socket.On(name, (in SocketEvent e) => calls.Add(name + ":" + e.Get<int>(0)));
            }

            socket.On("e3", (SocketMessage m) => calls.Add("e3 again:" + m.Get<int>(0)));
            socket.Off("e5");
        });
        var client = harness.Connect();
        client.ConnectAndGetSid();
        for (var i = 0; i < 12; i++)
        {
            client.Send($"2[\"e{i}\",{i}]");
        }

        client.Send("2[\"unknown\",1]");
        var expected = new List<string>();
        for (var i = 0; i < 12; i++)
        {
            if (i != 5)
            {
                expected.Add($"e{i}:{i}");
            }

            if (i == 3)
            {
                expected.Add("e3 again:3");
            }
        }

        Assert.That(calls, Is.EqualTo(expected));
    }

    [Test]
    public void An_action_handler_gets_its_own_message_and_acknowledges_it()
    {
        using var harness = new SocketIOHarness();
        var kept = new List<SocketMessage>();
        harness.Io.OnConnection(socket => socket.On("keep", (SocketMessage m) => kept.Add(m)));
        var client = harness.Connect();
        client.ConnectAndGetSid();
        client.Send("27[\"keep\",\"one\"]");
        client.Send("28[\"keep\",\"two\"]");
        Assert.That(kept.Select(m => m.Get<string>(0)), Is.EqualTo(new[] { "one", "two" }));
        kept[1].Ack("b");
        kept[0].Ack("a");
        Assert.That(client.Received.Where(m => m.StartsWith('3')), Is.EqualTo(new[] { "38[\"b\"]", "37[\"a\"]" }));
    }

    [Test]
    public void Handlers_added_from_several_threads_at_once_are_all_kept()
    {
        using var harness = new SocketIOHarness();
        Socket? socket = null;
        harness.Io.OnConnection(s => socket = s);
        var client = harness.Connect();
        client.ConnectAndGetSid();

        const int Threads = 4;
        const int PerThread = 50;
        var calls = 0;
        using var start = new Barrier(Threads);
        var workers = new Thread[Threads];
        for (var t = 0; t < Threads; t++)
        {
            var thread = t;
            workers[t] = new Thread(() =>
            {
                start.SignalAndWait();
                for (var i = 0; i < PerThread; i++)
                {
                    // Half the names are shared between threads (several handlers per name), half are each thread's own.
                    var name = i % 2 == 0 ? "shared" + i : $"own{thread}-{i}";
                    socket!.On(name, (in SocketEvent _) => Interlocked.Increment(ref calls));
                }
            });
            workers[t].Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        for (var i = 0; i < PerThread; i++)
        {
            if (i % 2 == 0)
            {
                client.Send($"2[\"shared{i}\"]");
            }
            else
            {
                for (var t = 0; t < Threads; t++)
                {
                    client.Send($"2[\"own{t}-{i}\"]");
                }
            }
        }

        Assert.That(calls, Is.EqualTo(Threads * PerThread));
    }

    [Test]
    public void An_ack_for_an_id_nobody_waits_for_is_ignored_before_and_after_the_first_emit_with_ack()
    {
        using var harness = new SocketIOHarness();
        Socket? socket = null;
        harness.Io.OnConnection(s => socket = s);
        var client = harness.Connect();
        client.ConnectAndGetSid();
        client.Send("3999[\"nobody asked\"]"); // no emit with an acknowledgement yet

        var pending = socket!.EmitWithAckAsync("question");
        var sent = client.WaitFor(m => m.StartsWith('2'));
        var id = Regex.Match(sent, "^2(\\d+)\\[").Groups[1].Value;
        client.Send("3999[\"still nobody\"]");
        Assert.That(pending.IsCompleted, Is.False);
        client.Send($"3{id}[\"yes\"]");
        Assert.That(pending.Wait(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(pending.Result.Get<string>(0), Is.EqualTo("yes"));
    }

    [Test]
    public void An_emit_with_ack_racing_the_disconnect_never_leaves_its_waiter_behind()
    {
        for (var round = 0; round < 50; round++)
        {
            using var harness = new SocketIOHarness();
            Socket? socket = null;
            harness.Io.OnConnection(s => socket = s);
            var client = harness.Connect();
            client.ConnectAndGetSid();

            // The first emit with an acknowledgement creates the socket's pending-ack table while the disconnect runs.
            using var start = new Barrier(2);
            Task<SocketArgs>? pending = null;
            var emitter = new Thread(() =>
            {
                start.SignalAndWait();
                pending = socket!.EmitWithAckAsync("question");
            });
            emitter.Start();
            start.SignalAndWait();
            client.Send("1");
            emitter.Join();
            Assert.That(() => pending!.Wait(TimeSpan.FromSeconds(10)), Throws.InstanceOf<AggregateException>().With.InnerException.InstanceOf<SocketDisconnectedException>());
        }
    }
}
