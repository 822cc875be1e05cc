using System.Buffers;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastIo.Transports.Http;

namespace FastIo.Benchmarks;

/// <summary>Request-head parsing for the three requests a Socket.IO server sees most (as browsers send them).</summary>
[MemoryDiagnoser]
public class HttpParserBenchmarks
{
    private const string BrowserHeaders =
        "Host: localhost:3000\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n" +
        "Accept: */*\r\nAccept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br\r\nOrigin: http://localhost:8080\r\n" +
        "Connection: keep-alive\r\nReferer: http://localhost:8080/\r\nCookie: io=abc; theme=dark\r\n";

    private readonly HttpRequestParser _parser = new(16 * 1024);
    private readonly HttpRequest _request = new();
    private ReadOnlySequence<byte> _handshake;
    private ReadOnlySequence<byte> _pollingPost;
    private ReadOnlySequence<byte> _upgrade;

    [GlobalSetup]
    public void Setup()
    {
        _handshake = Bytes("GET /socket.io/?EIO=4&transport=polling&t=PbX3k2a HTTP/1.1\r\n" + BrowserHeaders + "\r\n");
        _pollingPost = Bytes("POST /socket.io/?EIO=4&transport=polling&t=PbX3k2b&sid=Q2hhdFNlcnZlcjEyMzQ1 HTTP/1.1\r\n" + BrowserHeaders +
            "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: 31\r\n\r\n42[\"chat\",\"hello there, world\"]");
        _upgrade = Bytes("GET /socket.io/?EIO=4&transport=websocket&sid=Q2hhdFNlcnZlcjEyMzQ1 HTTP/1.1\r\n" +
            "Host: localhost:3000\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\nSec-WebSocket-Version: 13\r\nOrigin: http://localhost:8080\r\n" +
            "Sec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nConnection: keep-alive, Upgrade\r\n" +
            "Pragma: no-cache\r\nCache-Control: no-cache\r\nUpgrade: websocket\r\n\r\n");
    }

    [Benchmark]
    public bool HandshakeGet() => Parse(_handshake);

    [Benchmark]
    public bool PollingPost() => Parse(_pollingPost);

    [Benchmark]
    public bool UpgradeRequest() => Parse(_upgrade);

    private bool Parse(ReadOnlySequence<byte> bytes)
    {
        _parser.Reset();
        _request.Reset(null);
        var reader = new SequenceReader<byte>(bytes);
        var result = _parser.ParseHead(ref reader, _request);
        return result.IsComplete && HttpRequestParser.ResolveFraming(_request, 1_000_000).IsComplete;
    }

    private static ReadOnlySequence<byte> Bytes(string text) => new(Encoding.ASCII.GetBytes(text));
}
