using System.Net;
using System.Text;
using NUnit.Framework;

namespace FastIo.Tests.Protocol;

/// <summary>Bad input gets the protocol's own error, and the server keeps serving everyone else.</summary>
[TestFixture]
[NonParallelizable]
public class BadInputTests
{
    private TestServer _server = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await TestServer.StartAsync(o => o.Http.MaxRequestHeadersBytes = 8 * 1024);
        _http = new HttpClient { BaseAddress = new Uri(_server.Url) };
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task AssertStillServesAsync()
    {
        var body = await _http.GetStringAsync("/engine.io/?EIO=4&transport=polling");
        Assert.That(body, Does.StartWith("0{\"sid\":"));
    }

    [TestCase("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage-tls-hello\r\n\r\n")]
    [TestCase("GET\r\n\r\n")]
    [TestCase("GET /engine.io/ HTTP/1.1\r\nHost: x\r\nBad Header: x\r\n\r\n")]
    [TestCase("GET /engine.io/ HTTP/9.9\r\nHost: x\r\n\r\n")]
    [TestCase("POST /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n")]
    [TestCase("POST /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")]
    public async Task MalformedHttpGetsAnErrorStatus(string raw)
    {
        var response = await _server.RawAsync(Encoding.Latin1.GetBytes(raw));
        Assert.That(response, Does.Match(@"^HTTP/1\.1 (400|505) "));
        await AssertStillServesAsync();
    }

    [Test]
    public async Task OversizedHeadersGet431()
    {
        var raw = "GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 10_000) + "\r\n\r\n";
        var response = await _server.RawAsync(Encoding.ASCII.GetBytes(raw));
        Assert.That(response, Does.StartWith("HTTP/1.1 431 "));
        await AssertStillServesAsync();
    }

    [Test]
    public async Task OversizedBodyGets413()
    {
        var sid = (await _http.GetStringAsync("/engine.io/?EIO=4&transport=polling"))[8..28];
        var response = await _http.PostAsync($"/engine.io/?EIO=4&transport=polling&sid={sid}", new StringContent("4" + new string('x', 1_000_001)));
        Assert.That((int)response.StatusCode, Is.EqualTo(413));
        await AssertStillServesAsync();
    }

    [Test]
    public async Task A413ReachesAClientThatIsStillSendingItsBody()
    {
        // The client writes its whole 64 MB body before it reads anything, as simple clients do: the 413 the server
        // answers at the first MB must still reach it, not die in a reset.
        var sid = (await _http.GetStringAsync("/engine.io/?EIO=4&transport=polling"))[8..28];
        using var client = new System.Net.Sockets.TcpClient();
        await client.ConnectAsync(System.Net.IPAddress.Loopback, _server.Port);
        var stream = client.GetStream();
        const int BodyLength = 64_000_000; // well beyond what the kernel buffers absorb
        var head = Encoding.ASCII.GetBytes(
            $"POST /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: {BodyLength}\r\n\r\n");
        await stream.WriteAsync(head);
        var chunk = new byte[64 * 1024];
        Array.Fill(chunk, (byte)'x');
        try
        {
            for (var sent = 0; sent < BodyLength; sent += chunk.Length)
            {
                await stream.WriteAsync(chunk.AsMemory(0, Math.Min(chunk.Length, BodyLength - sent)));
            }
        }
        catch (IOException)
        {
            // The server may stop reading once its linger ends; what matters is what it said.
        }

        var received = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(buffer)) > 0)
            {
                received.Write(buffer, 0, n);
            }
        }
        catch (IOException)
        {
        }

        Assert.That(Encoding.ASCII.GetString(received.ToArray()), Does.StartWith("HTTP/1.1 413 "));
        await AssertStillServesAsync();
    }

    [Test]
    public async Task TruncatedRequestThenCloseHarmsNobody()
    {
        var response = await _server.RawAsync(Encoding.ASCII.GetBytes("GET /engine.io/?EIO=4&transport=pol"), TimeSpan.FromMilliseconds(200));
        Assert.That(response, Is.Empty);
        await AssertStillServesAsync();
    }

    [Test]
    public async Task InvalidWebSocketFramesCloseOnlyThatConnection()
    {
        // A handshake followed by an unmasked client frame: RFC 6455 §5.1 requires close 1002.
        var key = Convert.ToBase64String(new byte[16]);
        var handshake = "GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                        $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        var bytes = Encoding.ASCII.GetBytes(handshake).Concat(new byte[] { 0x81, 0x02, (byte)'4', (byte)'x' }).ToArray();
        var response = await _server.RawAsync(bytes);
        Assert.That(response, Does.StartWith("HTTP/1.1 101 "));
        // the close frame (0x88) carries status 1002 (0x03EA)
        var close = response.IndexOf("\x88", StringComparison.Ordinal);
        Assert.That(close, Is.GreaterThan(0), "a close frame");
        Assert.That(response[close + 2], Is.EqualTo('\x03'));
        Assert.That(response[close + 3], Is.EqualTo('\xEA'));
        await AssertStillServesAsync();
    }

    [Test]
    public async Task ManyGarbageConnectionsAtOnceLeaveTheServerServing()
    {
        var random = new Random(42);
        var tasks = Enumerable.Range(0, 50).Select(_ =>
        {
            var junk = new byte[random.Next(1, 4000)];
            random.NextBytes(junk);
            return _server.RawAsync(junk, TimeSpan.FromMilliseconds(300));
        });
        await Task.WhenAll(tasks);
        await AssertStillServesAsync();
    }
}
