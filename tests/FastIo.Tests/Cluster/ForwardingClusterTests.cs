using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FastIo.Adapters.Redis;
using FastIo.EngineIO;
using FastIo.Tests.Redis;
using FastIo.Transports.Cluster;
using NUnit.Framework;

namespace FastIo.Tests.Cluster;

/// <summary>
/// Three in-process nodes sharing a real redis-server, with clients that send every request of a session to the next
/// node in turn (client-side round-robin): each request that lands on a node that does not own the session is
/// forwarded to the owner, and nothing is lost or refused.
/// </summary>
[TestFixture]
[NonParallelizable]
public class ForwardingClusterTests
{
    private RedisServer _redis = null!;
    private List<ClusterNode> _nodes = null!;
    private HttpClient _http = null!;
    private List<RoundRobinPollingClient> _clients = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _redis = await RedisServer.StartAsync();
        _nodes = new List<ClusterNode>();
        for (var i = 0; i < 3; i++)
        {
            _nodes.Add(await ClusterNode.StartAsync(_redis));
        }

        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        _clients = new List<RoundRobinPollingClient>();
    }

    [TearDown]
    public async Task StopAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        _http.Dispose();
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    private string[] Urls => _nodes.Select(n => n.Url).ToArray();

    [Test]
    public void NodesClaimDistinctIdsThatTheirSidsCarry()
    {
        var ids = _nodes.Select(n => n.Directory.NodeId).ToList();
        Assert.That(ids.Distinct().Count(), Is.EqualTo(3));
        Assert.That(ids, Has.All.InRange(1, EngineSessionId.MaxNode));
        Assert.That(_nodes.Select(n => n.Host.Engine.Options.NodeId), Is.EqualTo(ids), "the host set each engine's node id");
    }

    [Test]
    public async Task RoundRobinPollingClientsLoseNothingAndAreNeverRefused()
    {
        const int Clients = 6;
        const int Messages = 200;
        var clients = await ConnectRoundRobinClientsAsync(Clients);
        Assert.That(clients.Select(c => OwnerOf(c.Sid)).Distinct().Count(), Is.EqualTo(3), "sessions on every node");
        await Task.WhenAll(clients.Select(async (client, c) =>
        {
            for (var n = 0; n < Messages; n++)
            {
                // An acknowledged event and a plain one answered with an event: both directions, every request
                // to the next node.
                await client.PostAsync($"42{n}[\"message-with-ack\",\"c{c}-{n}\"]", $"42[\"message\",\"m{c}-{n}\"]");
                var ack = await client.NextAsync(p => p.StartsWith("43" + n + "[", StringComparison.Ordinal));
                Assert.That(ack, Is.EqualTo($"43{n}[\"c{c}-{n}\"]"));
                var back = await client.NextAsync(p => p.StartsWith("42[\"message-back\"", StringComparison.Ordinal));
                Assert.That(back, Is.EqualTo($"42[\"message-back\",\"m{c}-{n}\"]"), "in order, none lost");
            }
        }));

        // A broadcast through the Redis adapter reaches every client, whichever node it is on.
        await clients[0].PostAsync("42[\"broadcast\"]");
        foreach (var client in clients)
        {
            await client.NextAsync(p => p.StartsWith("42[\"broadcast\"", StringComparison.Ordinal));
        }

        Assert.That(clients.SelectMany(c => c.Failures), Is.Empty, "no request refused");
    }

    [Test]
    public async Task UpgradeThroughANodeThatDoesNotOwnTheSessionIsTunnelledToTheOwner()
    {
        await using var client = new RoundRobinPollingClient(_http, [_nodes[0].Url]);
        await client.ConnectAsync();
        Assert.That(OwnerOf(client.Sid), Is.EqualTo(_nodes[0].Directory.NodeId));

        // The upgrade lands on node 1, as a balancer without stickiness may send it. The probe releases the waiting GET
        // (a noop), after which the client polls no more.
        client.PausePolling();
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_nodes[1].Port}/socket.io/?EIO=4&transport=websocket&sid={client.Sid}"), CancellationToken.None);
        await SendAsync(ws, "2probe");
        Assert.That(await ReceiveAsync(ws), Is.EqualTo("3probe"));
        await client.Ended.WaitAsync(TimeSpan.FromSeconds(5));
        await SendAsync(ws, "5");
        for (var n = 0; n < 50; n++)
        {
            await SendAsync(ws, $"42{n}[\"message-with-ack\",{n}]");
            Assert.That(await ReceiveAsync(ws), Is.EqualTo($"43{n}[{n}]"));
        }

        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        Assert.That(client.Failures, Is.Empty);
    }

    [Test]
    public async Task AStoppedNodeEndsOnlyItsOwnSessions()
    {
        var clients = await ConnectRoundRobinClientsAsync(6);

        // As a balancer's health check would: node 2 gets no more requests from clients, then it stops. Each
        // client's next GET goes to the others once one answer has come back through its current one.
        var stopped = _nodes[2];
        var stoppedId = stopped.Directory.NodeId;
        var survivors = new[] { _nodes[0].Url, _nodes[1].Url };
        foreach (var client in clients)
        {
            client.UseNodes(survivors);
            await client.PostAsync("42100[\"message-with-ack\"]");
            await client.NextAsync(p => p.StartsWith("43100[", StringComparison.Ordinal));
        }

        await stopped.StopAsync();

        foreach (var client in clients)
        {
            if (OwnerOf(client.Sid) == stoppedId)
            {
                // Its session is gone: whichever node the request reaches answers "Session ID unknown", so the
                // client knows to reconnect. (Its poll loop may have received the close packet first.)
                var answer = await SendWithSidAsync(survivors[0], client.Sid);
                Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest));
                Assert.That(answer.Body, Is.EqualTo("{\"code\":1,\"message\":\"Session ID unknown\"}"));
                answer = await SendWithSidAsync(survivors[1], client.Sid);
                Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.BadRequest));
            }
        }

        // The others go on.
        foreach (var client in clients.Where(c => OwnerOf(c.Sid) != stoppedId))
        {
            for (var n = 0; n < 20; n++)
            {
                await client.PostAsync($"42{n}[\"message-with-ack\",{n}]");
                await client.NextAsync(p => p.StartsWith($"43{n}[", StringComparison.Ordinal));
            }
        }

        Assert.That(clients.Where(c => OwnerOf(c.Sid) != stoppedId).SelectMany(c => c.Failures), Is.Empty);
    }

    [Test]
    public async Task ANodeThatStopsWhileRelayingAPollLeavesTheSessionToItsOwner()
    {
        await using var client = new RoundRobinPollingClient(_http, [_nodes[0].Url]);
        await client.ConnectAsync();

        // From now on every request goes through node 1; once an answer comes back, the waiting GET is relayed by it.
        client.UseNodes([_nodes[1].Url]);
        await client.PostAsync("421[\"message-with-ack\"]");
        await client.NextAsync(p => p.StartsWith("431[", StringComparison.Ordinal));
        await Task.Delay(200);

        // Node 1 stops: the GET it relays is cut (the client sees an error and, behind a balancer, retries elsewhere).
        await _nodes[1].StopAsync();
        await client.Ended.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(client.Failures, Has.Count.EqualTo(1).And.Some.StartsWith("503 GET"));

        // The owner kept the session: the client goes on through another node.
        Assert.That(_nodes[0].Host.Engine.TryGetSession(client.Sid, out _), Is.True, "the session survived its relay");
        client.UseNodes([_nodes[2].Url]);
        await client.SendAsync(HttpMethod.Post, "422[\"message-with-ack\",\"still here\"]");
        var answer = await client.SendAsync(HttpMethod.Get, null);
        Assert.That(answer.Body, Is.EqualTo("432[\"still here\"]"));
    }

    [Test]
    public async Task ARetriedRelayedPollReplacesTheOneItsDeadRelayLeftWaiting()
    {
        // Two GETs as a peer relays them (signed with the cluster key), the second while the first still waits — as
        // when a relay died and the balancer retried its GET through another node before the owner noticed.
        // Without a poll loop, so that nothing else polls this session.
        var url = $"{_nodes[0].Url}/socket.io/?EIO=4&transport=polling";
        var open = await _http.GetStringAsync(url);
        var sid = JsonDocument.Parse(open.AsMemory(1)).RootElement.GetProperty("sid").GetString()!;
        using (await _http.PostAsync($"{url}&sid={sid}", new StringContent("40")))
        {
        }

        Assert.That(await _http.GetStringAsync($"{url}&sid={sid}"), Does.StartWith("40"));
        await using var client = new RoundRobinPollingClient(_http, [_nodes[0].Url], sid: sid);

        var first = RelayedGetAsync(client.Sid);
        await Task.Delay(200);
        Assert.That(first.IsCompleted, Is.False, "the first relayed GET waits");
        var second = RelayedGetAsync(client.Sid);
        Assert.That(await first.WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo("6"), "released with a noop");
        await client.SendAsync(HttpMethod.Post, "422[\"message-with-ack\",\"after\"]");
        Assert.That(await second.WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo("432[\"after\"]"), "the newcomer carries what follows");
        Assert.That(_nodes[0].Host.Engine.TryGetSession(client.Sid, out _), Is.True, "no overlap error");

        // A client's own overlapping GET still closes the session, as in engine.io.
        var direct = client.SendAsync(HttpMethod.Get, null);
        await Task.Delay(200);
        var overlap = await client.SendAsync(HttpMethod.Get, null);
        Assert.That(overlap.Status, Is.EqualTo(HttpStatusCode.BadRequest));
        await direct;
        Assert.That(_nodes[0].Host.Engine.TryGetSession(client.Sid, out _), Is.False);
    }

    [Test]
    public async Task AnUpgradeForANodeThatIsGoneIsRefusedAsUnknown()
    {
        await using var client = new RoundRobinPollingClient(_http, [_nodes[2].Url]);
        await client.ConnectAsync();
        client.PausePolling();
        await _nodes[2].StopAsync();

        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, _nodes[0].Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"GET /socket.io/?EIO=4&transport=websocket&sid={client.Sid} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var answer = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(10));
        Assert.That(answer, Does.StartWith("HTTP/1.1 400 ").And.EndWith("Session ID unknown"));
    }

    [Test]
    public async Task AForwardedRequestIsNeverForwardedAgain()
    {
        // A sid of node 1 sent to node 0 with the forwarding marker (as if node 1 had relayed it to node 0 because of a
        // stale directory): node 0 answers as a node that does not know the sid, instead of bouncing it back.
        await using var client = new RoundRobinPollingClient(_http, [_nodes[1].Url]);
        await client.ConnectAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{_nodes[0].Url}/socket.io/?EIO=4&transport=polling&sid={client.Sid}");
        request.Headers.Add(ForwardedHeaders.ForwardedBy, "1");
        using var response = await _http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Is.EqualTo("{\"code\":1,\"message\":\"Session ID unknown\"}"));
    }

    [Test]
    public async Task TheClientAddressOfAForwardedRequestIsBelievedOnlyWhenSigned()
    {
        var key = _nodes[0].Directory.ClusterKey.ToArray();

        // Forged: the fields without a valid signature are ignored; the handshake sees the real peer.
        var forged = await HandshakeWithFieldsAsync(_nodes[0].Url, "203.0.113.9:4444", "AAAA");
        Assert.That(forged, Does.Not.Contain("203.0.113.9"));

        // Signed with the cluster key, as a peer does: the handshake sees the client's address.
        var signature = ForwardedHeaders.Sign(key, "7", "203.0.113.9:4444", null);
        var signed = await HandshakeWithFieldsAsync(_nodes[0].Url, "203.0.113.9:4444", signature);
        Assert.That(signed, Is.EqualTo("203.0.113.9:4444"));
    }

    /// <summary>Connects clients that send each request to the next node, client i starting at node i; disposed at tear-down.</summary>
    private async Task<List<RoundRobinPollingClient>> ConnectRoundRobinClientsAsync(int count)
    {
        var clients = new List<RoundRobinPollingClient>();
        for (var i = 0; i < count; i++)
        {
            var client = new RoundRobinPollingClient(_http, Urls, firstNode: i);
            _clients.Add(client);
            await client.ConnectAsync();
            clients.Add(client);
        }

        return clients;
    }

    /// <summary>A GET on node 0 carrying the fields a peer adds when it relays one; returns the body.</summary>
    private async Task<string> RelayedGetAsync(string sid)
    {
        var key = _nodes[0].Directory.ClusterKey.ToArray();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{_nodes[0].Url}/socket.io/?EIO=4&transport=polling&sid={sid}");
        request.Headers.Add(ForwardedHeaders.ForwardedBy, "7");
        request.Headers.Add(ForwardedHeaders.Client, "127.0.0.1:1");
        request.Headers.Add(ForwardedHeaders.Signature, ForwardedHeaders.Sign(key, "7", "127.0.0.1:1", sid));
        using var response = await _http.SendAsync(request);
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>A handshake carrying forwarding fields; returns the address the Socket.IO handshake recorded.</summary>
    private async Task<string> HandshakeWithFieldsAsync(string url, string client, string signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{url}/socket.io/?EIO=4&transport=polling");
        request.Headers.Add(ForwardedHeaders.ForwardedBy, "7");
        request.Headers.Add(ForwardedHeaders.Client, client);
        request.Headers.Add(ForwardedHeaders.Signature, signature);
        using var response = await _http.SendAsync(request);
        var open = await response.Content.ReadAsStringAsync();
        var sid = JsonDocument.Parse(open.AsMemory(1)).RootElement.GetProperty("sid").GetString()!;
        Assert.That(_nodes[0].Host.Engine.TryGetSession(sid, out var session), Is.True);
        return session!.Request.RemoteEndPoint?.ToString() ?? "";
    }

    private async Task<(HttpStatusCode Status, string Body)> SendWithSidAsync(string node, string sid)
    {
        using var response = await _http.GetAsync($"{node}/socket.io/?EIO=4&transport=polling&sid={sid}");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static int OwnerOf(string sid)
    {
        Assert.That(EngineSessionId.TryParse(sid, out _, out var node), Is.True);
        return node;
    }

    private static Task SendAsync(ClientWebSocket ws, string text) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<string> ReceiveAsync(ClientWebSocket ws)
    {
        var buffer = new byte[64 * 1024];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var result = await ws.ReceiveAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }
}
