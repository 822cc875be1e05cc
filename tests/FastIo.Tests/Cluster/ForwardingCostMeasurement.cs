using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using FastIo.Tests.Deploy;
using NUnit.Framework;

namespace FastIo.Tests.Cluster;

/// <summary>
/// What forwarding costs (bench/RESULTS.md, "Sticky-free forwarding"): two <c>fastio serve --forward</c> processes, A
/// owning every session; long-polling round trips (a POST carrying an acknowledged event, then the GET that brings the
/// ack back) sent straight to A (sticky) or to B, which forwards both requests to A. Latency per request and server
/// CPU (utime+stime of both processes from /proc) per request, modes alternating. Explicit: minutes, and meaningful
/// only on a quiet machine.
/// </summary>
[TestFixture]
[Explicit("measurement for bench/RESULTS.md")]
[NonParallelizable]
public class ForwardingCostMeasurement
{
    private const int Runs = 3;
    private const int SequentialRoundTrips = 10_000;
    private const int ConcurrentClients = 16;
    private const int ConcurrentRoundTrips = 1500;

    [Test]
    public async Task MeasureDirectVersusForwardedPolling()
    {
        await using var cluster = await DeployCluster.StartAsync("--forward");
        var owner = cluster.Nodes[0];
        var relay = cluster.Nodes[1];
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { Timeout = TimeSpan.FromSeconds(30) };
        await TestContext.Out.WriteLineAsync($"load average at start: {File.ReadAllText("/proc/loadavg").Trim()}");

        // Warm-up: JIT, connection pools (client → node, B → A) in both modes.
        await SequentialAsync(http, owner, owner.Port, 3000);
        await SequentialAsync(http, owner, relay.Port, 3000);
        await ConcurrentAsync(http, owner, owner.Port, 300);
        await ConcurrentAsync(http, owner, relay.Port, 300);
        var results = new List<(string Name, string Mode, double Rate, double P50, double P99, double Owner, double Relay)>();

        foreach (var (name, concurrent) in new[] { ("sequential, 1 client", false), ($"concurrent, {ConcurrentClients} clients", true) })
        {
            for (var run = 0; run < Runs; run++)
            {
                foreach (var (mode, port) in new[] { ("direct", owner.Port), ("forwarded", relay.Port) })
                {
                    var cpuBefore = (Cpu(owner), Cpu(relay));
                    var clock = Stopwatch.StartNew();
                    var latencies = concurrent
                        ? await ConcurrentAsync(http, owner, port, ConcurrentRoundTrips)
                        : await SequentialAsync(http, owner, port, SequentialRoundTrips);
                    var elapsed = clock.Elapsed;
                    var ownerCpu = Cpu(owner) - cpuBefore.Item1;
                    var relayCpu = Cpu(relay) - cpuBefore.Item2;
                    latencies.Sort();
                    var requests = latencies.Count;
                    results.Add((name, mode, requests / elapsed.TotalSeconds, Percentile(latencies, 0.50), Percentile(latencies, 0.99),
                        ownerCpu.TotalMicroseconds / requests, relayCpu.TotalMicroseconds / requests));
                    await TestContext.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                        $"{name} | {mode} | run {run + 1} | {requests} requests in {elapsed.TotalMilliseconds:F0} ms ({requests / elapsed.TotalSeconds:F0}/s) | " +
                        $"p50 {Percentile(latencies, 0.50):F0} µs p90 {Percentile(latencies, 0.90):F0} µs p99 {Percentile(latencies, 0.99):F0} µs | " +
                        $"CPU/request: owner {ownerCpu.TotalMicroseconds / requests:F1} µs, relay {relayCpu.TotalMicroseconds / requests:F1} µs, " +
                        $"both {(ownerCpu + relayCpu).TotalMicroseconds / requests:F1} µs"));
                }
            }
        }

        await TestContext.Out.WriteLineAsync($"load average at end: {File.ReadAllText("/proc/loadavg").Trim()}");
        await TestContext.Out.WriteLineAsync("| load | mode | requests/s | p50 µs | p99 µs | CPU/request owner µs | relay µs | both µs |");
        foreach (var name in new[] { "sequential, 1 client", $"concurrent, {ConcurrentClients} clients" })
        {
            foreach (var mode in new[] { "direct", "forwarded" })
            {
                var runs = results.FindAll(r => r.Name == name && r.Mode == mode);
                await TestContext.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"| {name} | {mode} | {Median(runs.ConvertAll(r => r.Rate)):F0} | {Median(runs.ConvertAll(r => r.P50)):F0} | {Median(runs.ConvertAll(r => r.P99)):F0} | " +
                    $"{Median(runs.ConvertAll(r => r.Owner)):F1} | {Median(runs.ConvertAll(r => r.Relay)):F1} | {Median(runs.ConvertAll(r => r.Owner + r.Relay)):F1} |"));
            }
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    /// <summary>One client's round trips, each a POST then a GET; the latency of every request in microseconds.</summary>
    private static async Task<List<double>> SequentialAsync(HttpClient http, ServeNode owner, int port, int roundTrips)
    {
        var latencies = new List<double>(roundTrips * 2);
        await RoundTripsAsync(http, owner, port, roundTrips, latencies);
        return latencies;
    }

    private static async Task<List<double>> ConcurrentAsync(HttpClient http, ServeNode owner, int port, int roundTrips)
    {
        var perClient = new List<double>[ConcurrentClients];
        var tasks = new Task[ConcurrentClients];
        for (var i = 0; i < ConcurrentClients; i++)
        {
            var latencies = perClient[i] = new List<double>(roundTrips * 2);
            tasks[i] = RoundTripsAsync(http, owner, port, roundTrips, latencies);
        }

        await Task.WhenAll(tasks);
        var all = new List<double>();
        foreach (var latencies in perClient)
        {
            all.AddRange(latencies);
        }

        return all;
    }

    private static async Task RoundTripsAsync(HttpClient http, ServeNode owner, int port, int roundTrips, List<double> latencies)
    {
        // The session always lives on the owner: its handshake goes there directly.
        var sid = await OpenAsync(http, owner.Port);
        var url = $"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling&sid={sid}";
        for (var n = 0; n < roundTrips; n++)
        {
            var clock = Stopwatch.StartNew();
            using (var post = await http.PostAsync(url, new StringContent($"42{n}[\"join\",\"r\"]")))
            {
                Assert.That(post.StatusCode, Is.EqualTo(HttpStatusCode.OK));
            }

            latencies.Add(clock.Elapsed.TotalMicroseconds);
            clock.Restart();
            var body = await http.GetStringAsync(url);
            latencies.Add(clock.Elapsed.TotalMicroseconds);
            Assert.That(body, Does.StartWith($"43{n}["));
        }

        using var close = await http.PostAsync(url, new StringContent("1"));
    }

    private static async Task<string> OpenAsync(HttpClient http, int port)
    {
        var url = $"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling";
        var open = await http.GetStringAsync(url);
        var sid = JsonDocument.Parse(open.AsMemory(1)).RootElement.GetProperty("sid").GetString()!;
        using var connect = await http.PostAsync(url + "&sid=" + sid, new StringContent("40"));
        Assert.That(await http.GetStringAsync(url + "&sid=" + sid), Does.StartWith("40"));
        return sid;
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    /// <summary>utime + stime of the process (fields 14 and 15 of /proc/PID/stat, in clock ticks of 10 ms).</summary>
    private static TimeSpan Cpu(ServeNode node)
    {
        var stat = File.ReadAllText($"/proc/{node.ProcessId}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return TimeSpan.FromMilliseconds(ticks * 10);
    }
}
