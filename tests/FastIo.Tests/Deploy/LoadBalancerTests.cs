using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using FastIo.Tests.Redis;
using NUnit.Framework;

namespace FastIo.Tests.Deploy;

/// <summary>
/// The setups of docs/deploy.md, run for real: nginx and HAProxy (Debian packages) in front of three
/// <c>fastio serve --redis</c> processes sharing one redis-server, with the official socket.io-client 4.8 driven by
/// tests/interop/lb-clients.mjs. Polling-only and default (polling, then upgrade) clients go through the balancer,
/// each message reaches every other client wherever its node is, and when one node stops the balancer takes it
/// out: its clients reconnect to the others and the clients of the other nodes never notice.
/// </summary>
[TestFixture]
[NonParallelizable]
public partial class LoadBalancerTests
{
    private const int PollingClients = 8;
    private const int DefaultClients = 8;
    private const string Origin = "http://app.example";
    private const int VictimIndex = 1;
    private static readonly TimeSpan s_reportTimeout = TimeSpan.FromSeconds(60);

    [Test]
    public async Task NginxHashOnTheClientAddressKeepsSessionsOnTheirNodeAndRoutesAroundANodeStoppedWithSigterm()
    {
        await using var cluster = await DeployCluster.StartAsync();
        await using var nginx = await Balancer.StartNginxAsync(cluster.Ports, hashClientAddress: true);
        // nginx open source checks passively: the first refused connection marks the node failed (max_fails=1), the
        // request goes to the next node on the hash ring, and so do the node's clients for fail_timeout.
        await RunFailoverAsync(cluster, nginx, (node, _) => node.StopAsync());
        Assert.That(nginx.Output, Does.Contain("upstream server temporarily disabled").And.Contain($"127.0.0.1:{cluster.Nodes[VictimIndex].Port}/"), "the passive check marked the node");
    }

    [Test]
    public async Task HAProxyCookieIoKeepsSessionsOnTheirNodeAndTheHealthCheckTakesOutAKilledNode()
    {
        await using var cluster = await DeployCluster.StartAsync("--cookie", "io", "--cors-origin", Origin);
        await using var haproxy = await Balancer.StartHAProxyAsync(cluster.Ports);
        await AssertCredentialedCorsAndCookieStickinessAsync(haproxy);
        await RunFailoverAsync(cluster, haproxy, async (node, index) =>
        {
            await node.KillAsync();
            await haproxy.WaitForOutputAsync($"fastio/node{index + 1} is DOWN", TimeSpan.FromSeconds(15));
        });
    }

    [Test]
    public async Task WebSocketOnlyClientsNeedNoStickiness()
    {
        const int clients = 12;
        await using var cluster = await DeployCluster.StartAsync();
        await using var nginx = await Balancer.StartNginxAsync(cluster.Ports, hashClientAddress: false);
        await using (var driver = await NodeProcess.StartAsync("lb-clients.mjs", nginx.Url, "0", "0", clients.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        {
            var report = await driver.NextReportAsync(s_reportTimeout);
            foreach (var client in ClientReport.Read(report, 1))
            {
                AssertUndisturbed(client, clients, report);
            }

            await driver.SendLineAsync("""{"close":true}""");
            await driver.WaitForExitAsync(TimeSpan.FromSeconds(20));
        }

        // A WebSocket is logged when it closes. Round robin put a third of them on each node, and yet every message
        // reached everyone: a WebSocket is one connection, so it never meets a node that does not know its session.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        List<BalancedRequest> upgrades;
        while ((upgrades = nginx.Requests().FindAll(r => r.Status == 101)).Count < clients && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.That(upgrades, Has.Count.EqualTo(clients), nginx.Output);
        Assert.That(new HashSet<int>(upgrades.ConvertAll(r => r.NodePort)), Is.EquivalentTo(cluster.Ports), nginx.Output);
    }

    /// <summary>
    /// Connects the clients through <paramref name="balancer"/>, checks stickiness, spread and delivery, stops one node
    /// with <paramref name="stop"/> (given the node and its index), and checks that only that node's clients moved.
    /// </summary>
    private static async Task RunFailoverAsync(DeployCluster cluster, Balancer balancer, Func<ServeNode, int, Task> stop)
    {
        try
        {
            await RunFailoverCoreAsync(cluster, balancer, stop);
        }
        catch
        {
            await cluster.WriteOutputsAsync(balancer);
            throw;
        }
    }

    private static async Task RunFailoverCoreAsync(DeployCluster cluster, Balancer balancer, Func<ServeNode, int, Task> stop)
    {
        const int total = PollingClients + DefaultClients;
        await using var driver = await NodeProcess.StartAsync("lb-clients.mjs", balancer.Url,
            PollingClients.ToString(System.Globalization.CultureInfo.InvariantCulture),
            DefaultClients.ToString(System.Globalization.CultureInfo.InvariantCulture), "0");
        var firstReport = await driver.NextReportAsync(s_reportTimeout);
        var first = ClientReport.Read(firstReport, 1);
        var firstSids = new List<string>();
        foreach (var client in first)
        {
            AssertUndisturbed(client, total, firstReport);
            firstSids.Add(client.Sid!);
        }

        // Every request of a session reached one node (NodesOfAsync fails otherwise), and the balancer used all three.
        var nodeOf = await balancer.NodesOfAsync(firstSids, TimeSpan.FromSeconds(10));
        Assert.That(new HashSet<int>(nodeOf.Values), Is.EquivalentTo(cluster.Ports), "sessions spread over every node:\n" + balancer.Output);

        var victimNode = cluster.Nodes[VictimIndex];
        var victims = firstSids.FindAll(sid => nodeOf[sid] == victimNode.Port);
        await stop(victimNode, VictimIndex);
        await driver.SendLineAsync(JsonSerializer.Serialize(new { victims }));

        var secondReport = await driver.NextReportAsync(s_reportTimeout);
        var second = ClientReport.Read(secondReport, 2);
        var currentSids = new List<string>();
        for (var i = 0; i < second.Count; i++)
        {
            var client = second[i];
            currentSids.Add(client.Sid!);
            if (victims.Contains(first[i].Sid!))
            {
                Assert.That(client.Sid, Is.Not.EqualTo(first[i].Sid), $"client {i} of the stopped node has a new session: {secondReport}");
                Assert.That(client.Transport, Is.EqualTo(client.ExpectedTransport), $"client {i}: {secondReport}");
                Assert.That(client.Received, Is.EqualTo(total - 1), $"client {i}: {secondReport}");
            }
            else
            {
                Assert.That(client.Sid, Is.EqualTo(first[i].Sid), $"client {i} kept its session: {secondReport}");
                AssertUndisturbed(client, total, secondReport);
            }
        }

        var nodeAfter = await balancer.NodesOfAsync(currentSids, TimeSpan.FromSeconds(10));
        foreach (var sid in currentSids)
        {
            Assert.That(nodeAfter[sid], Is.Not.EqualTo(victimNode.Port), $"{sid} is on a node that runs:\n{balancer.Output}");
        }

        // Nothing 400s (Session ID unknown) or fails at the balancer for the sessions that stayed or were made anew;
        // only the stopped node's old sessions may have seen errors.
        foreach (var request in balancer.Requests())
        {
            if (request.Sid is { } sid && currentSids.Contains(sid))
            {
                Assert.That(request.Status, Is.EqualTo(200).Or.EqualTo(101), $"{request}:\n{balancer.Output}");
            }
        }

        await driver.SendLineAsync("""{"close":true}""");
        await driver.WaitForExitAsync(TimeSpan.FromSeconds(20));
    }

    /// <summary>One connect, no disconnect, no error, its final transport, and every other client's message of the round.</summary>
    private static void AssertUndisturbed(ClientReport client, int total, JsonElement report)
    {
        Assert.That(client.Connects, Is.EqualTo(1), $"client {client.Index}: {report}");
        Assert.That(client.Disconnects, Is.Empty, $"client {client.Index}: {report}");
        Assert.That(client.Errors, Is.Empty, $"client {client.Index}: {report}");
        Assert.That(client.Transport, Is.EqualTo(client.ExpectedTransport), $"client {client.Index}: {report}");
        Assert.That(client.Received, Is.EqualTo(total - 1), $"client {client.Index}: {report}");
    }

    /// <summary>
    /// A cross-origin page's view through HAProxy: the preflight and the handshake allow the origin with credentials,
    /// the handshake sets the <c>io</c> cookie (prefixed with the node by HAProxy), requests that carry it always reach
    /// the owner node, and requests that do not are spread by round robin and meet nodes that answer 400.
    /// </summary>
    private static async Task AssertCredentialedCorsAndCookieStickinessAsync(Balancer haproxy)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false });
        var url = haproxy.Url + "/socket.io/?EIO=4&transport=polling";

        using var preflight = new HttpRequestMessage(HttpMethod.Options, url);
        preflight.Headers.Add("Origin", Origin);
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        using var preflightResponse = await http.SendAsync(preflight);
        Assert.That(preflightResponse.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        Assert.That(preflightResponse.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { Origin }));
        Assert.That(preflightResponse.Headers.GetValues("Access-Control-Allow-Credentials"), Is.EqualTo(new[] { "true" }));

        using var handshake = new HttpRequestMessage(HttpMethod.Get, url);
        handshake.Headers.Add("Origin", Origin);
        using var handshakeResponse = await http.SendAsync(handshake);
        var body = await handshakeResponse.Content.ReadAsStringAsync();
        Assert.That(handshakeResponse.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        Assert.That(handshakeResponse.Headers.GetValues("Access-Control-Allow-Origin"), Is.EqualTo(new[] { Origin }));
        Assert.That(handshakeResponse.Headers.GetValues("Access-Control-Allow-Credentials"), Is.EqualTo(new[] { "true" }));
        var sid = JsonDocument.Parse(body[1..]).RootElement.GetProperty("sid").GetString()!;
        var setCookie = string.Join("\n", handshakeResponse.Headers.GetValues("Set-Cookie"));
        var cookie = PrefixedSessionCookie().Match(setCookie);
        Assert.That(cookie.Success && cookie.Groups["sid"].Value == sid, Is.True, $"HAProxy prefixed FastIo's io={sid} cookie with the node: {setCookie}");

        var withCookie = new List<HttpStatusCode>();
        var withoutCookie = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            withCookie.Add(await PostNoopAsync(http, url + "&sid=" + sid, cookie.Groups["cookie"].Value));
            withoutCookie.Add(await PostNoopAsync(http, url + "&sid=" + sid, null));
        }

        Assert.That(withCookie, Is.All.EqualTo(HttpStatusCode.OK), "the cookie pins every request to the owner node");
        Assert.That(withoutCookie, Does.Contain(HttpStatusCode.BadRequest), "without it round robin reaches nodes that do not know the session");
    }

    private static async Task<HttpStatusCode> PostNoopAsync(HttpClient http, string url, string? cookie)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("6") };
        request.Headers.Add("Origin", Origin);
        if (cookie is not null)
        {
            request.Headers.Add("Cookie", cookie);
        }

        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [GeneratedRegex(@"^(?<cookie>io=node\d~(?<sid>[^;]+));")]
    private static partial Regex PrefixedSessionCookie();
}
