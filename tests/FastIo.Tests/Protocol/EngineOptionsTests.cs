using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FastIo.EngineIO;
using NUnit.Framework;

namespace FastIo.Tests.Protocol;

/// <summary>The options that change what the server answers: AllowRequest, Cookie, Transports, AllowUpgrades, Path, shutdown.</summary>
[TestFixture]
[NonParallelizable]
public class EngineOptionsTests
{
    private static HttpClient Client(TestServer server) => new() { BaseAddress = new Uri(server.Url) };

    [Test]
    public async Task AllowRequestRefusesWith403AndItsMessage()
    {
        await using var server = await TestServer.StartAsync(o => o.Engine.AllowRequest = (request, _) =>
            ValueTask.FromResult(request.Header("X-Token") == "secret" ? null : "token required"));
        using var http = Client(server);
        var refused = await http.GetAsync("/engine.io/?EIO=4&transport=polling");
        Assert.That(refused.StatusCode, Is.EqualTo(HttpStatusCode.Forbidden));
        Assert.That(await refused.Content.ReadAsStringAsync(), Is.EqualTo("{\"code\":4,\"message\":\"token required\"}"));

        using var allowed = new HttpRequestMessage(HttpMethod.Get, "/engine.io/?EIO=4&transport=polling");
        allowed.Headers.Add("X-Token", "secret");
        Assert.That((await http.SendAsync(allowed)).StatusCode, Is.EqualTo(HttpStatusCode.OK));

        using var ws = new ClientWebSocket();
        Assert.That(
            async () => await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/engine.io/?EIO=4&transport=websocket"), CancellationToken.None),
            Throws.InstanceOf<WebSocketException>());
    }

    [Test]
    public async Task AllowRequestSeesQueryHeadersAndAddress()
    {
        EngineRequestInfo? seen = null;
        await using var server = await TestServer.StartAsync(o => o.Engine.AllowRequest = (request, _) =>
        {
            seen = request;
            return ValueTask.FromResult<string?>(null);
        });
        using var http = Client(server);
        await http.GetStringAsync("/engine.io/?EIO=4&transport=polling&room=a%20b");
        Assert.That(seen, Is.Not.Null);
        Assert.That(seen!.Query("room"), Is.EqualTo("a b"));
        Assert.That(seen.Header("host"), Is.EqualTo($"127.0.0.1:{server.Port}"));
        Assert.That(((IPEndPoint)seen.RemoteEndPoint!).Address, Is.EqualTo(IPAddress.Loopback));
    }

    [Test]
    public async Task CookieIsSetOnTheHandshakeOnly()
    {
        await using var server = await TestServer.StartAsync(o => o.Engine.Cookie = new SessionCookieOptions());
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = new Uri(server.Url) };
        var handshake = await http.GetAsync("/engine.io/?EIO=4&transport=polling");
        var body = await handshake.Content.ReadAsStringAsync();
        var sid = JsonDocument.Parse(body[1..]).RootElement.GetProperty("sid").GetString();
        Assert.That(handshake.Headers.GetValues("Set-Cookie").Single(), Is.EqualTo($"io={sid}; Path=/; HttpOnly; SameSite=Lax"));
        var post = await http.PostAsync($"/engine.io/?EIO=4&transport=polling&sid={sid}", new StringContent("4x"));
        Assert.That(post.Headers.Contains("Set-Cookie"), Is.False);
    }

    [Test]
    public async Task WebSocketOnlyRefusesPollingAndAnnouncesNoUpgrade()
    {
        await using var server = await TestServer.StartAsync(o => o.Engine.Transports = new List<string> { "websocket" });
        using var http = Client(server);
        var polling = await http.GetAsync("/engine.io/?EIO=4&transport=polling");
        Assert.That(polling.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await polling.Content.ReadAsStringAsync(), Does.Contain("\"code\":0"));
    }

    [Test]
    public async Task NoUpgradesWhenAllowUpgradesIsOff()
    {
        await using var server = await TestServer.StartAsync(o => o.Engine.AllowUpgrades = false);
        using var http = Client(server);
        var body = await http.GetStringAsync("/engine.io/?EIO=4&transport=polling");
        Assert.That(body, Does.Contain("\"upgrades\":[]"));
    }

    [Test]
    public async Task CustomPathIsServedAndTheDefaultIsNot()
    {
        await using var server = await TestServer.StartAsync(o => o.Engine.Path = "/realtime/");
        using var http = Client(server);
        Assert.That(await http.GetStringAsync("/realtime/?EIO=4&transport=polling"), Does.StartWith("0{"));
        Assert.That((await http.GetAsync("/engine.io/?EIO=4&transport=polling")).StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task StopSendsClosePacketsAndCloseFrames()
    {
        var server = await TestServer.StartAsync();
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.Zero }) { BaseAddress = new Uri(server.Url) };
        var open = await http.GetStringAsync("/engine.io/?EIO=4&transport=polling");
        var sid = JsonDocument.Parse(open[1..]).RootElement.GetProperty("sid").GetString();
        var pendingGet = http.GetStringAsync($"/engine.io/?EIO=4&transport=polling&sid={sid}");
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/engine.io/?EIO=4&transport=websocket"), CancellationToken.None);
        var buffer = new byte[1024];
        await ws.ReceiveAsync(buffer, CancellationToken.None); // OPEN
        await Task.Delay(50);

        var stop = server.Host.StopAsync();
        Assert.That(await pendingGet, Is.EqualTo("1"), "the waiting GET carries the close packet");
        using var cts = new CancellationTokenSource(3000);
        var result = await ws.ReceiveAsync(buffer, cts.Token);
        Assert.That(result.MessageType, Is.EqualTo(WebSocketMessageType.Close));
        Assert.That(ws.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure));
        await stop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(server.Host.Engine.SessionCount, Is.Zero);
        Assert.That(async () => await http.GetAsync("/health"), Throws.InstanceOf<HttpRequestException>(), "no longer listening");
        await server.DisposeAsync();
    }

    [Test]
    public async Task V3PollingWithBinaryPayloads()
    {
        await using var server = await TestServer.StartAsync(o => o.Engine.AllowEIO3 = true);
        using var http = Client(server);
        // without b64 the v3 client takes binary payloads
        var open = await http.GetByteArrayAsync("/engine.io/?EIO=3&transport=polling");
        var text = Encoding.UTF8.GetString(open);
        var sid = JsonDocument.Parse(text[(text.IndexOf(':', StringComparison.Ordinal) + 2)..]).RootElement.GetProperty("sid").GetString();
        var binaryPost = new ByteArrayContent(new byte[] { 1, 4, 0xFF, 4, 9, 8, 7 }); // binary record: type 4, bytes 9 8 7
        binaryPost.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/octet-stream");
        Assert.That((await http.PostAsync($"/engine.io/?EIO=3&transport=polling&sid={sid}", binaryPost)).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var poll = await http.GetAsync($"/engine.io/?EIO=3&transport=polling&sid={sid}");
        Assert.That(poll.Content.Headers.ContentType!.MediaType, Is.EqualTo("application/octet-stream"));
        Assert.That(await poll.Content.ReadAsByteArrayAsync(), Is.EqualTo(new byte[] { 1, 4, 0xFF, 4, 9, 8, 7 }));
    }

    [Test]
    public async Task V3CloseThatOvertakesItsGetReleasesItWithAV3Noop()
    {
        await using var server = await TestServer.StartAsync(o => o.Engine.AllowEIO3 = true);
        using var http = Client(server);
        var open = await http.GetStringAsync("/engine.io/?EIO=3&transport=polling&b64=1");
        var sid = JsonDocument.Parse(open[(open.IndexOf(':', StringComparison.Ordinal) + 2)..]).RootElement.GetProperty("sid").GetString();

        // The official v3 suite sends the GET and the close POST at once; the POST may be handled first.
        Assert.That((await http.PostAsync($"/engine.io/?EIO=3&transport=polling&sid={sid}", new StringContent("1:1"))).StatusCode, Is.EqualTo(HttpStatusCode.OK));
        var poll = await http.GetAsync($"/engine.io/?EIO=3&transport=polling&sid={sid}");
        Assert.That(await poll.Content.ReadAsStringAsync(), Is.EqualTo("1:6"), "a v3 payload, length-prefixed");
    }
}
