using System.Text;
using BenchmarkDotNet.Attributes;
using FastIo.SocketIO;
using FastIo.Transports.Hosting;

namespace FastIo.Benchmarks;

/// <summary>
/// The whole HTTP path of S6 and S2 in memory, through <see cref="FastIoHost"/> (HTTP parser, routing, shards,
/// Engine.IO, Socket.IO with the bench's <c>echo</c> handler) over in-memory pipes instead of sockets: what one
/// long-polling ack (POST + the GET that carries the ack) and one WebSocket connect (upgrade, open packet, Socket.IO
/// CONNECT and its acknowledgement, then the close) allocate. Times include thread-pool hops that the socket
/// host's inline processing avoids; the allocations are the figure to read.
/// </summary>
[MemoryDiagnoser]
public class HttpPathBenchmarks
{
    private static readonly byte[] s_upgrade = Encoding.ASCII.GetBytes(
        "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: bench\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");

    private static readonly byte[] s_connectFrame = MemoryHttpClient.MaskedTextFrame("40");

    private SocketIOServer _io = null!;
    private FastIoHost _host = null!;
    private MemoryHttpClient _post = null!;
    private MemoryHttpClient _get = null!;
    private MemoryHttpClient _webSocket = null!;
    private byte[] _getRequest = null!;
    private byte[] _postRequest = null!;

    [GlobalSetup]
    public void Setup()
    {
        _io = new SocketIOServer();
        // fastio bench's handler (src/Server/BenchApp.cs), which allocates nothing: what is left is the HTTP path's own.
        _io.OnConnection(socket => socket.On("echo", static (in SocketEvent e) => e.AckRawJson(e.GetRawJson(0))));
        _host = new FastIoHost(new FastIoHostOptions(), _io);
        _post = new MemoryHttpClient();
        _get = new MemoryHttpClient();
        _webSocket = new MemoryHttpClient();
        _ = _host.ProcessConnectionAsync(_post.ServerSide, null);
        _ = _host.ProcessConnectionAsync(_get.ServerSide, null);

        // A polling session, connected to the main namespace (what S6's clients do first).
        _post.Write("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: bench\r\n\r\n"u8);
        var sid = ReadSid(_post);
        var target = "/socket.io/?EIO=4&transport=polling&sid=" + sid;
        _getRequest = Encoding.ASCII.GetBytes("GET " + target + " HTTP/1.1\r\nHost: bench\r\n\r\n");
        _postRequest = PostRequest(target, "40");
        _post.Write(_postRequest);
        Expect(_post.ReadResponse("ok"u8), "POST 40");
        _get.Write(_getRequest);
        Expect(_get.ReadResponse("40"u8), "GET 40");
        _postRequest = PostRequest(target, "421[\"echo\",\"0123456789abcdef\"]");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _host.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _io.Dispose();
    }

    /// <summary>S6's unit: a GET waits, the POST carries <c>echo</c>, the ack comes back on the GET (id reused: the server does not track it).</summary>
    [Benchmark]
    public bool PollingEchoAck()
    {
        _get.Write(_getRequest);
        _post.Write(_postRequest);
        var post = _post.ReadResponse("ok"u8);
        var get = _get.ReadResponse("431["u8);
        return post.PrefixMatches && get.PrefixMatches;
    }

    /// <summary>S2's unit plus the close: upgrade → 101 and open packet → "40" → "40{sid}" → the client goes away.</summary>
    [Benchmark]
    public bool WebSocketConnect()
    {
        var served = _host.ProcessConnectionAsync(_webSocket.ServerSide, null);
        _webSocket.Write(s_upgrade);
        _webSocket.ReadSwitchingProtocols();
        var open = _webSocket.ReadFrame("0{"u8);
        _webSocket.Write(s_connectFrame);
        var connected = _webSocket.ReadFrame("40{"u8);
        _webSocket.Close(served);
        return open && connected;
    }

    private static byte[] PostRequest(string target, string body) => Encoding.ASCII.GetBytes(
        "POST " + target + " HTTP/1.1\r\nHost: bench\r\nContent-Type: text/plain;charset=UTF-8\r\nContent-Length: " +
        Encoding.UTF8.GetByteCount(body).ToString(System.Globalization.CultureInfo.InvariantCulture) + "\r\n\r\n" + body);

    private static string ReadSid(MemoryHttpClient client)
    {
        var open = client.ReadResponseBody(); // 0{"sid":"…",…}
        var start = open.IndexOf("\"sid\":\"", StringComparison.Ordinal) + 7;
        return start < 7 ? throw new InvalidOperationException("no open packet: " + open) : open[start..open.IndexOf('"', start)];
    }

    private static void Expect((int Status, bool PrefixMatches) response, string what)
    {
        if (response.Status != 200 || !response.PrefixMatches)
        {
            throw new InvalidOperationException($"{what}: HTTP {response.Status}, body prefix matches: {response.PrefixMatches}");
        }
    }
}
