using System.Globalization;
using System.Text.Json;
using FastIo.EngineIO;
using FastIo.Tests.Deploy;
using FastIo.Tests.Redis;
using NUnit.Framework;

namespace FastIo.Tests.Cluster;

/// <summary>
/// Sticky-free multi-node for real: three <c>fastio serve --redis … --forward</c> processes behind HAProxy
/// <c>balance roundrobin</c> (no cookie) or nginx's round robin, with the official socket.io-client 4.8 driven by
/// tests/interop/lb-clients.mjs. A session's requests reach every node, none is refused, every message arrives in
/// order; when a node is killed its clients reconnect through the balancer.
/// </summary>
[TestFixture]
[NonParallelizable]
public class RoundRobinBalancerTests
{
    private const int PollingClients = 4;
    private const int DefaultClients = 4;
    private const int Messages = 200;
    private const int VictimIndex = 1;
    private static readonly TimeSpan s_reportTimeout = TimeSpan.FromSeconds(120);

    [Test]
    public async Task HAProxyRoundRobinWithoutStickinessLosesNothingAndAKilledNodesClientsReconnect()
    {
        await using var cluster = await DeployCluster.StartAsync("--forward");
        await using var haproxy = await Balancer.StartHAProxyAsync(cluster.Ports, stickyCookie: false);
        await RunAsync(cluster, haproxy, async () =>
        {
            await cluster.Nodes[VictimIndex].KillAsync();
            await haproxy.WaitForOutputAsync($"fastio/node{VictimIndex + 1} is DOWN", TimeSpan.FromSeconds(15));
        });
    }

    [Test]
    public async Task NginxRoundRobinWithoutStickinessLosesNothing()
    {
        await using var cluster = await DeployCluster.StartAsync("--forward");
        await using var nginx = await Balancer.StartNginxAsync(cluster.Ports, hashClientAddress: false);
        await RunAsync(cluster, nginx, null);
    }

    private static async Task RunAsync(DeployCluster cluster, Balancer balancer, Func<Task>? kill)
    {
        try
        {
            await RunCoreAsync(cluster, balancer, kill);
        }
        catch
        {
            await cluster.WriteOutputsAsync(balancer);
            throw;
        }
    }

    private static async Task RunCoreAsync(DeployCluster cluster, Balancer balancer, Func<Task>? kill)
    {
        const int total = PollingClients + DefaultClients;
        var portOfNode = await NodePortsAsync(cluster);
        await using var driver = await NodeProcess.StartAsync("lb-clients.mjs", balancer.Url,
            PollingClients.ToString(CultureInfo.InvariantCulture), DefaultClients.ToString(CultureInfo.InvariantCulture), "0",
            Messages.ToString(CultureInfo.InvariantCulture));
        var firstReport = await driver.NextReportAsync(s_reportTimeout);
        var first = ClientReport.Read(firstReport, 1);
        var firstSids = new List<string>();
        foreach (var client in first)
        {
            AssertUndisturbed(client, firstReport);
            firstSids.Add(client.Sid!);
        }

        Assert.That(new HashSet<int>(firstSids.ConvertAll(sid => portOfNode[OwnerOf(sid)])), Is.EquivalentTo(cluster.Ports), "sessions on every node");
        await AssertNoStickinessAndNoRefusalAsync(balancer, firstSids);
        await TestContext.Out.WriteLineAsync($"phase 1: {total} clients x {Messages} messages in {firstReport.GetProperty("ms").GetInt32()} ms");

        if (kill is null)
        {
            await driver.SendLineAsync("""{"close":true}""");
            await driver.WaitForExitAsync(TimeSpan.FromSeconds(20));
            return;
        }

        var victimPort = cluster.Nodes[VictimIndex].Port;
        var victims = firstSids.FindAll(sid => portOfNode[OwnerOf(sid)] == victimPort);
        await kill();
        await driver.SendLineAsync(JsonSerializer.Serialize(new { victims }));
        var secondReport = await driver.NextReportAsync(s_reportTimeout);
        var second = ClientReport.Read(secondReport, 2);
        var currentSids = new List<string>();
        var disturbed = new List<int>();
        for (var i = 0; i < second.Count; i++)
        {
            var client = second[i];
            currentSids.Add(client.Sid!);
            Assert.That(portOfNode[OwnerOf(client.Sid!)], Is.Not.EqualTo(victimPort), $"client {i} is on a node that runs: {secondReport}");
            Assert.That(client.Transport, Is.EqualTo(client.ExpectedTransport), $"client {i}: {secondReport}");
            if (victims.Contains(first[i].Sid!))
            {
                Assert.That(client.Sid, Is.Not.EqualTo(first[i].Sid), $"client {i} of the killed node has a new session: {secondReport}");
            }
            else if (client.Kind == "polling")
            {
                // A poll the killed node was relaying is retried by HAProxy through another node, and the owner kept
                // the session when the relay's connection dropped: polling clients of the other nodes never notice.
                Assert.That(client.Sid, Is.EqualTo(first[i].Sid), $"client {i} kept its session: {secondReport}");
                Assert.That(client.Connects, Is.EqualTo(1), $"client {i}: {secondReport}");
            }
            else if (client.Sid != first[i].Sid)
            {
                // Its session lived on, but its WebSocket was tunnelled through the killed node: the tunnel broke with
                // it, and the client reconnected.
                disturbed.Add(i);
            }
        }

        await TestContext.Out.WriteLineAsync(
            $"killed node owned {victims.Count} of {total} sessions; {disturbed.Count} other clients reconnected because their WebSocket was tunnelled through it: [{string.Join(", ", disturbed)}]");
        await AssertNoStickinessAndNoRefusalAsync(balancer, currentSids);
        await driver.WaitForExitAsync(TimeSpan.FromSeconds(20)); // it closes its clients after phase 2
    }

    private static void AssertUndisturbed(ClientReport client, JsonElement report)
    {
        const int total = PollingClients + DefaultClients;
        Assert.That(client.Connects, Is.EqualTo(1), $"client {client.Index}: {report}");
        Assert.That(client.Disconnects, Is.Empty, $"client {client.Index}: {report}");
        Assert.That(client.Errors, Is.Empty, $"client {client.Index}: {report}");
        Assert.That(client.Transport, Is.EqualTo(client.ExpectedTransport), $"client {client.Index}: {report}");
        Assert.That(client.Received, Is.EqualTo((total - 1) * Messages), $"client {client.Index}: {report}");
        Assert.That(report.GetProperty("clients")[client.Index].GetProperty("outOfOrder").GetInt32(), Is.Zero, $"client {client.Index}: {report}");
    }

    /// <summary>
    /// Every logged request of these sessions was answered 200 or 101 (never "Session ID unknown"), and the requests of
    /// each polling session reached more than one node: the balancer really did not stick.
    /// </summary>
    private static async Task AssertNoStickinessAndNoRefusalAsync(Balancer balancer, List<string> sids)
    {
        await balancer.WaitForOutputAsync(sids[0], TimeSpan.FromSeconds(10));
        var nodesOf = new Dictionary<string, HashSet<int>>();
        foreach (var request in balancer.Requests())
        {
            if (request.Sid is { } sid && sids.Contains(sid))
            {
                Assert.That(request.Status, Is.EqualTo(200).Or.EqualTo(101), $"{request}:\n{balancer.Output}");
                if (!nodesOf.TryGetValue(sid, out var nodes))
                {
                    nodesOf[sid] = nodes = new HashSet<int>();
                }

                nodes.Add(request.NodePort);
            }
        }

        var spread = 0;
        foreach (var nodes in nodesOf.Values)
        {
            spread += nodes.Count > 1 ? 1 : 0;
        }

        Assert.That(spread, Is.GreaterThanOrEqualTo(PollingClients), "sessions whose requests reached several nodes:\n" + balancer.Output);
    }

    /// <summary>The port of each node id, from the node directory in Redis (ids are claimed at random).</summary>
    private static async Task<Dictionary<int, int>> NodePortsAsync(DeployCluster cluster)
    {
        await using var redis = await cluster.Redis.ConnectAsync();
        var db = redis.GetDatabase();
        var ports = new Dictionary<int, int>();
        var server = redis.GetServer(redis.GetEndPoints()[0]);
        await foreach (var key in server.KeysAsync(pattern: "socket.io#node#*"))
        {
            var id = int.Parse(((string)key!)["socket.io#node#".Length..], CultureInfo.InvariantCulture);
            var address = ((string)(await db.StringGetAsync(key))!).Split(' ')[0];
            ports[id] = int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
        }

        Assert.That(new HashSet<int>(ports.Values), Is.EquivalentTo(cluster.Ports), "every node registered");
        return ports;
    }

    private static int OwnerOf(string sid)
    {
        Assert.That(EngineSessionId.TryParse(sid, out _, out var node), Is.True, sid);
        return node;
    }
}
