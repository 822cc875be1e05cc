using System.Text;
using FastIo.EngineIO;
using FastIo.SocketIO;
using NUnit.Framework;

namespace FastIo.Tests.SocketIO;

/// <summary>
/// Steady-state allocations of the message path, counted (not timed): an event goes in through the session as a
/// transport hands it over, the handler answers, and the bytes allocated by this thread over many messages must be
/// zero. Allocation counts are deterministic, so these fail as soon as anything on the path allocates per message.
/// </summary>
[TestFixture]
public sealed class AllocationTests
{
    private const int Warmup = 2_000;
    private const int Measured = 10_000;

    private static readonly EngineRequestInfo s_request =
        new("GET", "/socket.io/?EIO=4&transport=websocket", [new("Host", "test")], null, false);

    private static IEnumerable<TestCaseData> ZeroAllocationHandlers()
    {
        yield return new TestCaseData(
            (SocketEventHandler)(static (in SocketEvent e) => e.AckRawJson(e.GetRawJson(0))),
            "21[\"echo\",\"0123456789abcdef\"]",
            "31[\"0123456789abcdef\"]").SetName("raw JSON echo");
        yield return new TestCaseData(
            (SocketEventHandler)(static (in SocketEvent e) => e.Ack(e.Get<int>(0) + 1)),
            "22[\"echo\",41]",
            "32[42]").SetName("typed argument, typed ack");
        yield return new TestCaseData(
            (SocketEventHandler)(static (in SocketEvent e) => e.Ack(e.Get<double>(0), e.Get<bool>(1))),
            "23[\"echo\",1.5,true]",
            "33[1.5,true]").SetName("two typed acks");
        yield return new TestCaseData(
            (SocketEventHandler)(static (in SocketEvent e) => e.Ack(e.Get<Point>(0))),
            "24[\"echo\",{\"x\":1,\"y\":2}]",
            "34[{\"x\":1,\"y\":2}]").SetName("struct with its own converter through Get and Ack");
        yield return new TestCaseData(
            (SocketEventHandler)(static (in SocketEvent e) => e.Ack()),
            "25[\"echo\"]",
            "35[]").SetName("empty ack");
    }

    [TestCaseSource(nameof(ZeroAllocationHandlers))]
    public void An_in_place_handler_answers_without_allocating(SocketEventHandler handler, string incoming, string expectedAck)
    {
        using var server = new Server(socket => socket.On("echo", handler));
        var message = Encoding.UTF8.GetBytes(incoming);
        long allocated = server.Measure(message, out int acks);

        Assert.That(acks, Is.EqualTo(Measured), "one ack per event");
        Assert.That(server.Transport.Last, Is.EqualTo(expectedAck));
        Assert.That(allocated, Is.Zero, $"{(double)allocated / Measured:F1} B per message");
    }

    [Test]
    public void An_event_for_a_name_without_handlers_allocates_nothing()
    {
        using var server = new Server(socket => socket.On("echo", static (in SocketEvent e) => e.Ack()));
        long allocated = server.Measure("2[\"nobody\",1]"u8.ToArray(), out int acks);
        Assert.That(acks, Is.Zero);
        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void The_message_api_still_works_and_costs_one_copy_per_event_not_more()
    {
        // The SocketMessage a handler may keep owns a copy of the event: that (and the message object) is the price,
        // nothing else on the path.
        using var server = new Server(socket => socket.On("echo", m => m.Ack(m.Get<int>(0))));
        long allocated = server.Measure("26[\"echo\",7]"u8.ToArray(), out int acks);
        Assert.That(acks, Is.EqualTo(Measured));
        Assert.That(server.Transport.Last, Is.EqualTo("36[7]"));
        TestContext.Out.WriteLine($"{(double)allocated / Measured:F1} B per message");
        Assert.That((double)allocated / Measured, Is.LessThanOrEqualTo(160), "SocketMessage + its payload copy");
    }

    [TestCase(1, false, false, TestName = "broadcast to 1 WebSocket-like socket")]
    [TestCase(100, false, false, TestName = "broadcast to 100 WebSocket-like sockets")]
    [TestCase(1, true, false, TestName = "broadcast to 1 polling socket (buffered between GETs)")]
    [TestCase(100, true, false, TestName = "broadcast to 100 polling sockets (buffered between GETs)")]
    [TestCase(100, false, true, TestName = "broadcast to 100 WebSocket-like sockets with connection state recovery")]
    [TestCase(100, true, true, TestName = "broadcast to 100 polling sockets with connection state recovery")]
    public void A_broadcast_allocates_nothing_per_emit(int sockets, bool polling, bool recovery)
    {
        // The packet is the thread's, its text and the shared Engine.IO message are pooled, and each holder (a write
        // buffer entry, the recovery store) takes a reference instead of a copy: nothing is allocated per emit.
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new SocketIOServerOptions { TimeProvider = time };
        if (recovery)
        {
            options.ConnectionStateRecovery = new ConnectionStateRecoveryOptions { MaxDisconnectionDuration = TimeSpan.FromSeconds(1) };
        }

        using var server = new Server(_ => { }, options: options, polling: polling);
        var all = new List<Server> { server };
        var (rentedBefore, returnedBefore, errorsBefore) = EngineMessage.Statistics;
        try
        {
            for (int i = 1; i < sockets; i++)
            {
                all.Add(new Server(_ => { }, server, polling: polling));
            }

            int emitted = 0;
            long allocated = 0;
            for (int round = 0; round < 2; round++)
            {
                // The first round is the warm-up: lists and pools reach their steady-state size.
                int count = round == 0 ? Warmup : Measured;
                for (int i = 0; i < count; i += 10)
                {
                    long start = GC.GetAllocatedBytesForCurrentThread();
                    for (int j = 0; j < 10; j++)
                    {
                        server.Io.Emit("b", "0123456789");
                    }

                    if (round == 1)
                    {
                        allocated += GC.GetAllocatedBytesForCurrentThread() - start;
                    }

                    emitted += 10;
                    // Outside the measurement: the clients' GETs and time passing (the recovery store's sweeps).
                    PollAll(all);
                    time.Advance(TimeSpan.FromMilliseconds(50));
                }
            }

            PollAll(all);
            var expected = recovery ? "2[\"b\",\"0123456789\",\"" : "2[\"b\",\"0123456789\"]";
            Assert.That(all.Select(o => o.Transport.Messages), Is.All.EqualTo(emitted + 1), "every emit reached every socket");
            Assert.That(all.Select(o => o.Transport.Last), Is.All.StartsWith(expected));
            TestContext.Out.WriteLine($"{(double)allocated / Measured:F2} B per emit to {sockets} sockets");
            Assert.That(allocated, Is.Zero, $"{(double)allocated / Measured:F2} B per emit");
        }
        finally
        {
            foreach (var other in all.Skip(1))
            {
                other.DisposeSession();
            }
        }

        // Everything was delivered and the store swept: every pooled message went back, each exactly once.
        for (int i = 0; i < 30; i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
        }

        var (rented, returned, errors) = EngineMessage.Statistics;
        Assert.That(errors - errorsBefore, Is.Zero, "releases below zero");
        Assert.That(rented - rentedBefore, Is.EqualTo(returned - returnedBefore), "every pooled message returned");
        Assert.That(rented - rentedBefore, Is.GreaterThanOrEqualTo(recovery ? 2 * (Warmup + Measured) : Warmup + Measured));
    }

    [Test]
    public void The_recovery_store_gives_back_its_messages_when_they_expire()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new SocketIOServerOptions
        {
            TimeProvider = time,
            ConnectionStateRecovery = new ConnectionStateRecoveryOptions { MaxDisconnectionDuration = TimeSpan.FromSeconds(10) },
        };
        using var server = new Server(_ => { }, options: options);
        var (rentedBefore, returnedBefore, _) = EngineMessage.Statistics;
        for (int i = 0; i < 100; i++)
        {
            server.Io.Emit("b", i);
        }

        // The emits' own messages went back at once; the store still holds the 100 copies with their offsets.
        var (rented, returned, _) = EngineMessage.Statistics;
        Assert.That(rented - rentedBefore, Is.EqualTo(200));
        Assert.That(returned - returnedBefore, Is.EqualTo(100));

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.That(EngineMessage.Statistics.Returned - returnedBefore, Is.EqualTo(100), "not expired yet");
        for (int i = 0; i < 30; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1)); // past the duration and the next sweeps (every 10 s here)
        }

        var (_, returnedAfter, errors) = EngineMessage.Statistics;
        Assert.That(returnedAfter - returnedBefore, Is.EqualTo(200), "each stored message released once it expired");
        Assert.That(errors, Is.Zero);
    }

    [Test]
    public async Task Disposing_the_server_gives_back_what_the_recovery_store_kept()
    {
        var options = new SocketIOServerOptions
        {
            ConnectionStateRecovery = new ConnectionStateRecoveryOptions { MaxDisconnectionDuration = TimeSpan.FromMinutes(2) },
        };
        var server = new Server(_ => { }, options: options);
        var (rentedBefore, returnedBefore, _) = EngineMessage.Statistics;
        for (int i = 0; i < 50; i++)
        {
            server.Io.Emit("b", i);
            server.Io.Of("/other").Emit("b", i); // a second namespace: its adapter keeps its own store
        }

        Assert.That(EngineMessage.Statistics.Returned - returnedBefore, Is.EqualTo(100), "the store holds its copies");
        await server.Io.DisposeAsync();
        Assert.That(EngineMessage.Statistics.Returned - returnedBefore, Is.EqualTo(200), "each stored message released at the close");

        server.Io.Emit("b", 1); // after the close nothing is stored, so nothing stays rented
        var (rented, returned, errors) = EngineMessage.Statistics;
        Assert.That(rented - rentedBefore, Is.EqualTo(returned - returnedBefore));
        Assert.That(errors, Is.Zero);
        server.Dispose(); // the server's second dispose does nothing
    }

    [Test]
    public void A_text_too_large_to_frame_is_refused_before_anything_is_rented()
    {
        var (rentedBefore, _, _) = EngineMessage.Statistics;
        Assert.Throws<ArgumentOutOfRangeException>(() => EngineMessage.RentText(Array.MaxLength - 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => EngineMessage.RentText(-1));
        Assert.That(EngineMessage.Statistics.Rented, Is.EqualTo(rentedBefore));
    }

    private static void PollAll(List<Server> servers)
    {
        foreach (var server in servers)
        {
            if (server.Transport.Polling)
            {
                server.Transport.Poll();
            }
        }
    }

    /// <summary>A Socket.IO server with one in-memory session connected to "/".</summary>
    private sealed class Server : IDisposable
    {
        private readonly SocketIOServer _io;
        private readonly EngineServer _engine;
        private readonly EngineSession _session;

        private readonly bool _ownsServer;

        /// <param name="configure">The connection handler.</param>
        /// <param name="shared">Another session on the same server as <paramref name="shared"/>'s, instead of a new server.</param>
        /// <param name="options">The options of a new server.</param>
        /// <param name="polling">Whether the session's transport acts as long-polling (see <see cref="SinkTransport"/>).</param>
        public Server(Action<Socket> configure, Server? shared = null, SocketIOServerOptions? options = null, bool polling = false)
        {
            _ownsServer = shared is null;
            Transport = new SinkTransport(polling);
            _io = shared?._io ?? new SocketIOServer(options);
            _engine = shared?._engine ?? new EngineServer(new EngineOptions { PingInterval = TimeSpan.FromHours(1), PingTimeout = TimeSpan.FromHours(1) }, _io);
            if (_ownsServer)
            {
                _io.OnConnection(configure);
            }

            _session = _engine.Handshake(4, Transport, s_request, true);
            _session.OnPacket(Transport, EnginePacketType.Message, "0"u8, false);
            var deadline = Environment.TickCount64 + 5_000;
            while (Transport.Messages == 0 || !Transport.Last.StartsWith("0{", StringComparison.Ordinal))
            {
                Assert.That(Environment.TickCount64, Is.LessThan(deadline), "no Socket.IO connect acknowledgement");
                if (polling)
                {
                    Transport.Poll();
                }

                Thread.Sleep(1);
            }
        }

        public SinkTransport Transport { get; }

        public SocketIOServer Io => _io;

        public void DisposeSession() => _session.Close();

        /// <summary>Feeds <paramref name="message"/> warm-up times, then measures this thread's allocations over the measured run.</summary>
        public long Measure(byte[] message, out int replies)
        {
            for (int i = 0; i < Warmup; i++)
            {
                _session.OnPacket(Transport, EnginePacketType.Message, message, false);
            }

            int before = Transport.Messages;
            long start = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Measured; i++)
            {
                _session.OnPacket(Transport, EnginePacketType.Message, message, false);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - start;
            replies = Transport.Messages - before;
            return allocated;
        }

        public void Dispose()
        {
            if (!_ownsServer)
            {
                return;
            }

            _engine.Dispose();
            _io.Dispose();
        }
    }

    /// <summary>
    /// System.Text.Json's built-in object converter boxes a struct to fill or read its properties (24 B each way for
    /// this one); a struct with its own converter round-trips with no allocation at all.
    /// </summary>
    [System.Text.Json.Serialization.JsonConverter(typeof(PointConverter))]
    public readonly record struct Point(int X, int Y);

    private sealed class PointConverter : System.Text.Json.Serialization.JsonConverter<Point>
    {
        public override Point Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options)
        {
            int x = 0, y = 0;
            while (reader.Read() && reader.TokenType == System.Text.Json.JsonTokenType.PropertyName)
            {
                bool isX = reader.ValueTextEquals("x"u8);
                reader.Read();
                if (isX)
                {
                    x = reader.GetInt32();
                }
                else
                {
                    y = reader.GetInt32();
                }
            }

            return new Point(x, y);
        }

        public override void Write(System.Text.Json.Utf8JsonWriter writer, Point value, System.Text.Json.JsonSerializerOptions options)
        {
            writer.WriteStartObject();
            writer.WriteNumber("x"u8, value.X);
            writer.WriteNumber("y"u8, value.Y);
            writer.WriteEndObject();
        }
    }
}
