using System.Text;
using FastIo.EngineIO;
using FastIo.SocketIO;
using FastIo.Tests.EngineIO;

namespace FastIo.Tests.SocketIO;

/// <summary>
/// A Socket.IO server on an Engine.IO server whose sessions use recording transports: tests feed Engine.IO
/// messages in and read what the server sent, with no sockets involved.
/// </summary>
public sealed class SocketIOHarness : IDisposable
{
    public SocketIOHarness(Action<SocketIOServerOptions>? configure = null)
    {
        var options = new SocketIOServerOptions();
        configure?.Invoke(options);
        Io = new SocketIOServer(options);
        Engine = new EngineServer(new EngineOptions { PingInterval = TimeSpan.FromHours(1) }, Io);
    }

    public SocketIOServer Io { get; }

    public EngineServer Engine { get; }

    public Client Connect(int protocol = 4) => new(this, protocol);

    public void Dispose()
    {
        Engine.Dispose();
        Io.Dispose();
    }

    /// <summary>One Engine.IO session: send Socket.IO packets as text, read the text/binary messages sent back.</summary>
    public sealed class Client
    {
        private readonly FakeTransport _transport = new();

        public Client(SocketIOHarness harness, int protocol)
        {
            Session = harness.Engine.Handshake(protocol, _transport, new EngineRequestInfo("GET", "/socket.io/?EIO=4&transport=websocket&q=1", [new("Host", "test")], null, false), true);
        }

        public EngineSession Session { get; }

        internal FakeTransport Transport => _transport;

        /// <summary>False makes the transport behave like long-polling between two GETs.</summary>
        public bool Writable
        {
            get => _transport.Writable;
            set => _transport.Writable = value;
        }

        /// <summary>Messages the server sent after the OPEN packet: text as is, binary as "&lt;bin:hex&gt;".</summary>
        public List<string> Received
        {
            get
            {
                var result = new List<string>();
                foreach (var (type, data) in _transport.Sent)
                {
                    if (type == EnginePacketType.Message)
                    {
                        result.Add(data);
                    }
                }

                return result;
            }
        }

        public void Send(string packet) =>
            Session.OnPacket(_transport, EnginePacketType.Message, Encoding.UTF8.GetBytes(packet), false);

        public void SendBinary(byte[] data) => Session.OnPacket(_transport, EnginePacketType.Message, data, true);

        /// <summary>Waits (briefly) until a received message satisfies <paramref name="match"/>.</summary>
        public string WaitFor(Func<string, bool> match, int timeoutMs = 10_000)
        {
            var deadline = Environment.TickCount64 + timeoutMs;
            while (true)
            {
                foreach (var message in Received)
                {
                    if (match(message))
                    {
                        return message;
                    }
                }

                if (Environment.TickCount64 > deadline)
                {
                    throw new TimeoutException("not received; got: " + string.Join(" | ", Received));
                }

                Thread.Sleep(5);
            }
        }

        public string ConnectAndGetSid(string nsp = "/", string auth = "")
        {
            Send(nsp == "/" ? "0" + auth : "0" + nsp + "," + auth);
            var prefix = nsp == "/" ? "0{\"sid\":\"" : "0" + nsp + ",{\"sid\":\"";
            var reply = WaitFor(m => m.StartsWith(prefix, StringComparison.Ordinal));
            return reply.Substring(prefix.Length, 20);
        }
    }
}
