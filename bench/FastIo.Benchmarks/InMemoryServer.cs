using System.Text;
using FastIo.EngineIO;
using FastIo.SocketIO;

namespace FastIo.Benchmarks;

/// <summary>
/// A Socket.IO server on an Engine.IO server whose sessions use <see cref="CountingTransport"/>s, with the
/// handlers of <c>fastio bench</c> (echo with ack, broadcast): the in-memory counterpart of the load scenarios.
/// </summary>
internal sealed class InMemoryServer : IDisposable
{
    private static readonly EngineRequestInfo s_request =
        new("GET", "/socket.io/?EIO=4&transport=websocket", [new("Host", "bench")], null, false);

    public InMemoryServer()
    {
        Io = new SocketIOServer();
        Engine = new EngineServer(new EngineOptions { PingInterval = TimeSpan.FromHours(1), PingTimeout = TimeSpan.FromHours(1) }, Io);
        Io.OnConnection(socket =>
        {
            socket.On("echo", static (in SocketEvent e) => e.AckRawJson(e.GetRawJson(0)));
        });
    }

    public SocketIOServer Io { get; }

    public EngineServer Engine { get; }

    /// <summary>Opens a session and connects it to the main namespace; returns once the connect is acknowledged.</summary>
    public (EngineSession Session, CountingTransport Transport) Connect()
    {
        var transport = new CountingTransport();
        var session = Engine.Handshake(4, transport, s_request, true);
        long before = transport.Packets;
        session.OnPacket(transport, EnginePacketType.Message, "0"u8, false); // Socket.IO CONNECT to "/"
        var deadline = Environment.TickCount64 + 5_000;
        while (transport.Packets == before)
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"no Socket.IO connect acknowledgement; session {session.State}, {transport.Packets} packets");
            }

            Thread.Yield();
        }

        return (session, transport);
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public void Dispose()
    {
        Engine.Dispose();
        Io.Dispose();
    }
}
