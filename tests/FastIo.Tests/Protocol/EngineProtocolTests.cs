using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using NUnit.Framework;

namespace FastIo.Tests.Protocol;

/// <summary>
/// The behaviour the official Engine.IO v4 suite pins (../shared/docs/conformance.md), checked over real loopback
/// sockets with .NET's own HTTP and WebSocket clients.
/// </summary>
[TestFixture]
[NonParallelizable]
public class EngineProtocolTests
{
    private TestServer _server = null!;
    private HttpClient _http = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _server = await TestServer.StartAsync();
        // A fresh connection per request, as the suite's node-fetch does; pooled connections would hide aborts.
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero, MaxConnectionsPerServer = 64 })
        {
            BaseAddress = new Uri(_server.Url),
        };
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    private async Task<string> OpenPollingAsync()
    {
        var body = await _http.GetStringAsync("/engine.io/?EIO=4&transport=polling");
        Assert.That(body, Does.StartWith("0"));
        return JsonDocument.Parse(body[1..]).RootElement.GetProperty("sid").GetString()!;
    }

    private Task<HttpResponseMessage> PollAsync(string sid, CancellationToken ct = default) =>
        _http.GetAsync($"/engine.io/?EIO=4&transport=polling&sid={sid}", ct);

    private Task<HttpResponseMessage> PushAsync(string sid, string body) =>
        _http.PostAsync($"/engine.io/?EIO=4&transport=polling&sid={sid}", new StringContent(body));

    private async Task<ClientWebSocket> OpenWebSocketAsync(string query)
    {
        var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_server.Port}/engine.io/?{query}"), CancellationToken.None);
        return ws;
    }

    private static async Task<(WebSocketMessageType Type, byte[] Data)> ReceiveAsync(ClientWebSocket ws, int timeoutMs = 3000)
    {
        var buffer = new byte[1 << 20];
        var total = 0;
        using var cts = new CancellationTokenSource(timeoutMs);
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer.AsMemory(total), cts.Token);
            total += result.Count;
            if (result.EndOfMessage)
            {
                return (result.MessageType, buffer[..total]);
            }
        }
    }

    private static async Task<string> ReceiveTextAsync(ClientWebSocket ws)
    {
        var (type, data) = await ReceiveAsync(ws);
        Assert.That(type, Is.EqualTo(WebSocketMessageType.Text));
        return Encoding.UTF8.GetString(data);
    }

    private static Task SendTextAsync(ClientWebSocket ws, string text) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    [Test]
    public async Task PollingHandshakeHasExactlyTheFiveKeys()
    {
        var response = await _http.GetAsync("/engine.io/?EIO=4&transport=polling");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var body = await response.Content.ReadAsStringAsync();
        var open = JsonDocument.Parse(body[1..]).RootElement;
        Assert.That(open.EnumerateObject().Select(p => p.Name), Is.EquivalentTo(new[] { "sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload" }));
        Assert.That(open.GetProperty("upgrades").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "websocket" }));
        Assert.That(open.GetProperty("pingInterval").GetInt32(), Is.EqualTo(300));
        Assert.That(open.GetProperty("pingTimeout").GetInt32(), Is.EqualTo(200));
        Assert.That(open.GetProperty("maxPayload").GetInt32(), Is.EqualTo(1_000_000));
        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { "*" }));
    }

    [TestCase("/engine.io/?transport=polling", 5)]
    [TestCase("/engine.io/?EIO=abc&transport=polling", 5)]
    [TestCase("/engine.io/?EIO=4", 0)]
    [TestCase("/engine.io/?EIO=4&transport=abc", 0)]
    [TestCase("/engine.io/?EIO=4&transport=polling&sid=unknown", 1)]
    [TestCase("/engine.io/?EIO=4&transport=websocket", 3)]
    public async Task BadHandshakesGet400WithEngineIoErrorJson(string url, int code)
    {
        var response = await _http.GetAsync(url);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(code));
        Assert.That(error.GetProperty("message").GetString(), Is.Not.Empty);
    }

    [Test]
    public async Task HandshakeWithAnotherMethodIsRefused()
    {
        var put = await _http.PutAsync("/engine.io/?EIO=4&transport=polling", new StringContent(""));
        Assert.That(put.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var post = await _http.PostAsync("/engine.io/?EIO=4&transport=polling", new StringContent(""));
        Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await post.Content.ReadAsStringAsync(), Does.Contain("\"code\":2"));
    }

    [Test]
    public async Task WebSocketHandshakeAnnouncesNoUpgrades()
    {
        using var ws = await OpenWebSocketAsync("EIO=4&transport=websocket");
        var open = await ReceiveTextAsync(ws);
        Assert.That(open, Does.StartWith("0"));
        Assert.That(JsonDocument.Parse(open[1..]).RootElement.GetProperty("upgrades").GetArrayLength(), Is.Zero);
    }

    [TestCase("EIO=3&transport=websocket")]
    [TestCase("transport=websocket")]
    [TestCase("EIO=4")]
    [TestCase("EIO=4&transport=abc")]
    public void BadWebSocketHandshakesAreRefused(string query)
    {
        Assert.That(async () => { using var ws = await OpenWebSocketAsync(query); }, Throws.InstanceOf<WebSocketException>());
    }

    [Test]
    public async Task PollingCarriesTextAndBinaryPackets()
    {
        var sid = await OpenPollingAsync();
        var push = await PushAsync(sid, "4hello\u001e4test2\u001ebAQIDBA==");
        Assert.That(push.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await push.Content.ReadAsStringAsync(), Is.EqualTo("ok"));
        var poll = await PollAsync(sid);
        Assert.That(await poll.Content.ReadAsStringAsync(), Is.EqualTo("4hello\u001e4test2\u001ebAQIDBA=="));
        Assert.That(poll.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/plain"));
    }

    [Test]
    public async Task MalformedPostClosesTheSession()
    {
        var sid = await OpenPollingAsync();
        var push = await PushAsync(sid, "abc");
        Assert.That(push.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        var poll = await PollAsync(sid);
        Assert.That(poll.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task DuplicateGetsCloseTheSession()
    {
        var sid = await OpenPollingAsync();
        var first = PollAsync(sid);
        await Task.Delay(50);
        var second = await PollAsync(sid);
        Assert.That((int)second.StatusCode, Is.EqualTo(400));
        var firstResponse = await first;
        Assert.That(firstResponse.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await firstResponse.Content.ReadAsStringAsync(), Is.EqualTo("1"));
        Assert.That((await PollAsync(sid)).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task AbortedGetClosesTheSession()
    {
        var sid = await OpenPollingAsync();
        using var cts = new CancellationTokenSource();
        var pending = PollAsync(sid, cts.Token);
        await Task.Delay(50);
        await cts.CancelAsync();
        Assert.That(async () => await pending, Throws.InstanceOf<OperationCanceledException>());
        var deadline = DateTime.UtcNow.AddSeconds(2);
        HttpResponseMessage poll;
        do
        {
            await Task.Delay(20);
            poll = await PollAsync(sid, new CancellationTokenSource(1000).Token).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : new HttpResponseMessage(HttpStatusCode.OK));
        }
        while (poll.StatusCode != HttpStatusCode.BadRequest && DateTime.UtcNow < deadline);
        Assert.That(poll.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task PollingHeartbeatAndPingTimeout()
    {
        var sid = await OpenPollingAsync();
        var ping = await PollAsync(sid);
        Assert.That(await ping.Content.ReadAsStringAsync(), Is.EqualTo("2"));
        Assert.That((await PushAsync(sid, "3")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        // no pong this time: the session dies within pingInterval + pingTimeout
        await Task.Delay(700);
        var after = await PollAsync(sid);
        Assert.That(after.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task WebSocketHeartbeatAndPingTimeout()
    {
        using var ws = await OpenWebSocketAsync("EIO=4&transport=websocket");
        await ReceiveTextAsync(ws);
        Assert.That(await ReceiveTextAsync(ws), Is.EqualTo("2"));
        await SendTextAsync(ws, "3");
        Assert.That(await ReceiveTextAsync(ws), Is.EqualTo("2"));
        // no pong: the server closes the WebSocket
        var buffer = new byte[16];
        using var cts = new CancellationTokenSource(2000);
        var result = await ws.ReceiveAsync(buffer, cts.Token);
        Assert.That(result.MessageType, Is.EqualTo(WebSocketMessageType.Close));
    }

    [Test]
    public async Task PollingClosePacketEndsTheWaitingGetWithNoop()
    {
        var sid = await OpenPollingAsync();
        var pending = PollAsync(sid);
        await Task.Delay(50);
        Assert.That((await PushAsync(sid, "1")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var poll = await pending;
        Assert.That(await poll.Content.ReadAsStringAsync(), Is.EqualTo("6"));
        Assert.That((await PollAsync(sid)).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task AClosePacketThatOvertakesItsGetStillReleasesItWithNoop()
    {
        var sid = await OpenPollingAsync();
        Assert.That((await PushAsync(sid, "1")).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var poll = await PollAsync(sid);
        Assert.That(await poll.Content.ReadAsStringAsync(), Is.EqualTo("6"));
        Assert.That((await PollAsync(sid)).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));

        // without a GET coming, the session is gone shortly after
        var other = await OpenPollingAsync();
        await PushAsync(other, "1");
        await Task.Delay(200);
        Assert.That((await PollAsync(other)).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
    }

    [Test]
    public async Task WebSocketEchoesTextAndRawBinaryAndClosesOnBadPacket()
    {
        using var ws = await OpenWebSocketAsync("EIO=4&transport=websocket");
        await ReceiveTextAsync(ws);
        await SendTextAsync(ws, "4hello");
        Assert.That(await ReceiveTextAsync(ws), Is.EqualTo("4hello"));
        await ws.SendAsync(new byte[] { 1, 2, 3, 4 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        var (type, data) = await ReceiveAsync(ws);
        Assert.That(type, Is.EqualTo(WebSocketMessageType.Binary));
        Assert.That(data, Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
        await SendTextAsync(ws, "abc");
        var (closeType, _) = await ReceiveAsync(ws);
        Assert.That(closeType, Is.EqualTo(WebSocketMessageType.Close));
    }

    [Test]
    public async Task UpgradeFromPollingToWebSocket()
    {
        var sid = await OpenPollingAsync();
        using var ws = await OpenWebSocketAsync($"EIO=4&transport=websocket&sid={sid}");
        var pending = PollAsync(sid);
        await Task.Delay(50);
        await SendTextAsync(ws, "2probe");
        Assert.That(await ReceiveTextAsync(ws), Is.EqualTo("3probe"));
        var poll = await pending;
        Assert.That(await poll.Content.ReadAsStringAsync(), Is.EqualTo("6"));
        await SendTextAsync(ws, "5");
        await SendTextAsync(ws, "4hello");
        Assert.That(await ReceiveTextAsync(ws), Is.EqualTo("4hello"));

        // afterwards: polling with that sid is refused, and a second WebSocket is closed
        Assert.That((await PollAsync(sid)).StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        using var second = await OpenWebSocketAsync($"EIO=4&transport=websocket&sid={sid}");
        var (type, _) = await ReceiveAsync(second);
        Assert.That(type, Is.EqualTo(WebSocketMessageType.Close));
        await SendTextAsync(ws, "4still");
        Assert.That(await ReceiveTextAsync(ws), Is.EqualTo("4still"));
    }

    [Test]
    public async Task CorsPreflightIsAnswered()
    {
        using var request = new HttpRequestMessage(HttpMethod.Options, "/engine.io/?EIO=4&transport=polling");
        request.Headers.Add("Origin", "https://example.test");
        request.Headers.Add("Access-Control-Request-Method", "POST");
        request.Headers.Add("Access-Control-Request-Headers", "content-type");
        var response = await _http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(response.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { "*" }));
        Assert.That(response.Headers.GetValues("Access-Control-Allow-Headers"), Is.EqualTo(new[] { "content-type" }));
        Assert.That(string.Join(",", response.Headers.GetValues("Access-Control-Allow-Methods")), Does.Contain("POST"));
    }

    [Test]
    public async Task HealthCheckAnswersGetAndHead()
    {
        Assert.That(await _http.GetStringAsync("/health"), Is.EqualTo("ok"));
        using var head = new HttpRequestMessage(HttpMethod.Head, "/health");
        var response = await _http.SendAsync(head);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That((await _http.GetAsync("/elsewhere")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }
}
