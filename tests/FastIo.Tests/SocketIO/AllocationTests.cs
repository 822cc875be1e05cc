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

    [Test]
    public void A_broadcast_costs_the_same_per_emit_whatever_the_number_of_targets_and_nothing_per_target()
    {
        // What stays per emit is the packet (kept for adapters and recovery), its one encoded array and the shared
        // Engine.IO message: pooling them would need reference counts across every transport and the recovery store.
        long one = BroadcastBytesPerEmit(1, out var single);
        long hundred = BroadcastBytesPerEmit(100, out var many);
        TestContext.Out.WriteLine($"{one} B per emit to 1 socket, {hundred} B per emit to 100");
        Assert.That(single.Last, Is.EqualTo("2[\"b\",\"0123456789\"]"));
        Assert.That(many.Last, Is.EqualTo(single.Last));
        Assert.That(hundred, Is.EqualTo(one), "nothing per target");
        Assert.That(one, Is.LessThanOrEqualTo(200), "the packet, its encoded bytes and one shared message (a 10-character argument)");
    }

    private static long BroadcastBytesPerEmit(int sockets, out SinkTransport last)
    {
        using var server = new Server(_ => { });
        last = server.Transport;
        var others = new List<Server>();
        try
        {
            for (int i = 1; i < sockets; i++)
            {
                others.Add(new Server(_ => { }, server));
            }

            for (int i = 0; i < Warmup; i++)
            {
                server.Io.Emit("b", "0123456789");
            }

            long start = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < Measured; i++)
            {
                server.Io.Emit("b", "0123456789");
            }

            long perEmit = (GC.GetAllocatedBytesForCurrentThread() - start) / Measured;
            Assert.That(server.Transport.Messages, Is.EqualTo(Warmup + Measured + 1));
            Assert.That(others.All(o => o.Transport.Messages == Warmup + Measured + 1), Is.True);
            return perEmit;
        }
        finally
        {
            foreach (var other in others)
            {
                other.DisposeSession();
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
        public Server(Action<Socket> configure, Server? shared = null)
        {
            _ownsServer = shared is null;
            _io = shared?._io ?? new SocketIOServer();
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
                Thread.Sleep(1);
            }
        }

        public SinkTransport Transport { get; } = new();

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
