using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace FastIo.LoadGen;

/// <summary>
/// What sticky-free forwarding costs (bench/RESULTS.md, "Sticky-free forwarding"): two <c>fastio bench --forward</c>
/// nodes joined by a fresh redis-server, A owning every session; long-polling round trips (a POST carrying an
/// acknowledged echo, then the GET that brings the ack back) sent straight to A ("direct") or to B, which forwards
/// both requests to A ("forwarded"). Latency per request and server CPU per request (both processes, from /proc),
/// modes alternating, medians of the runs. Meaningful only on a quiet machine; unpinned, as a deployment would run.
/// </summary>
internal static class ForwardingCost
{
    private const int SequentialRoundTrips = 10_000;
    private const int ConcurrentClients = 16;
    private const int ConcurrentRoundTrips = 1_500;

    public static async Task<int> RunAsync(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["--port"] = "4600", ["--runs"] = "3", ["--repo"] = SuiteOptions.FindRepoRoot(),
        };
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            options[options.ContainsKey(args[i]) ? args[i] : throw new FormatException($"unknown option '{args[i]}'")] = args[i + 1];
        }

        int port = int.Parse(options["--port"], CultureInfo.InvariantCulture);
        int runs = Math.Clamp(int.Parse(options["--runs"], CultureInfo.InvariantCulture), 1, 20);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(30));
        var none = new Dictionary<string, string>(StringComparer.Ordinal);
        using var redis = await RedisServer.StartAsync(pinned: false, timeout.Token).ConfigureAwait(false);
        using var owner = await ServerProcess.StartAsync(ServerKind.FastIo, options["--repo"], port, pinned: false, none, "--forward", redis.Port, timeout.Token).ConfigureAwait(false);
        using var relay = await ServerProcess.StartAsync(ServerKind.FastIo, options["--repo"], port + 1, pinned: false, none, "--forward", redis.Port, timeout.Token).ConfigureAwait(false);
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan, MaxConnectionsPerServer = 64 })
        {
            Timeout = TimeSpan.FromSeconds(30),
        };
        Console.WriteLine($"load average at start: {File.ReadAllText("/proc/loadavg").Trim()}");

        // Warm-up: JIT, the connection pools (generator → node, B → A) in both modes.
        foreach (var target in new[] { port, port + 1 })
        {
            await RoundTripsAsync(http, port, target, 1, 3_000).ConfigureAwait(false);
            await RoundTripsAsync(http, port, target, ConcurrentClients, 300).ConfigureAwait(false);
        }

        var loads = new[] { ("sequential, 1 client", 1, SequentialRoundTrips), ($"concurrent, {ConcurrentClients} clients", ConcurrentClients, ConcurrentRoundTrips) };
        var modes = new[] { ("direct", port), ("forwarded", port + 1) };
        var results = new List<(string Load, string Mode, double Rate, double P50, double P99, double Owner, double Relay)>();
        foreach (var (load, clients, roundTrips) in loads)
        {
            for (int run = 0; run < runs; run++)
            {
                foreach (var (mode, target) in modes)
                {
                    double ownerCpu = owner.CpuSeconds();
                    double relayCpu = relay.CpuSeconds();
                    long start = Stopwatch.GetTimestamp();
                    var latencies = await RoundTripsAsync(http, port, target, clients, roundTrips).ConfigureAwait(false);
                    double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    ownerCpu = (owner.CpuSeconds() - ownerCpu) * 1e6 / latencies.Count;
                    relayCpu = (relay.CpuSeconds() - relayCpu) * 1e6 / latencies.Count;
                    latencies.Sort();
                    var result = (load, mode, latencies.Count / elapsed, Percentile(latencies, 0.50), Percentile(latencies, 0.99), ownerCpu, relayCpu);
                    results.Add(result);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{load} | {mode} | run {run + 1} | {latencies.Count} requests, {result.Item3:F0}/s | p50 {result.Item4:F0} µs p99 {result.Item5:F0} µs | " +
                        $"CPU/request owner {ownerCpu:F1} µs, relay {relayCpu:F1} µs"));
                }
            }
        }

        Console.WriteLine($"load average at end: {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| load | mode | requests/s | p50 µs | p99 µs | CPU/request owner µs | relay µs | both µs |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var (load, _, _) in loads)
        {
            foreach (var (mode, _) in modes)
            {
                var these = results.FindAll(r => r.Load == load && r.Mode == mode);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {load} | {mode} | {Suite.Median(these.ConvertAll(r => r.Rate)):F0} | {Suite.Median(these.ConvertAll(r => r.P50)):F0} | {Suite.Median(these.ConvertAll(r => r.P99)):F0} | " +
                    $"{Suite.Median(these.ConvertAll(r => r.Owner)):F1} | {Suite.Median(these.ConvertAll(r => r.Relay)):F1} | {Suite.Median(these.ConvertAll(r => r.Owner + r.Relay)):F1} |"));
            }
        }

        return 0;
    }

    /// <summary>
    /// <paramref name="clients"/> sessions opened on the owner, each making <paramref name="roundTrips"/> round trips
    /// through <paramref name="target"/>; the latency of every request in microseconds.
    /// </summary>
    private static async Task<List<double>> RoundTripsAsync(HttpClient http, int ownerPort, int target, int clients, int roundTrips)
    {
        var perClient = new List<double>[clients];
        var tasks = new Task[clients];
        for (int i = 0; i < clients; i++)
        {
            var latencies = perClient[i] = new List<double>(roundTrips * 2);
            tasks[i] = ClientAsync(http, ownerPort, target, roundTrips, latencies);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false);
        var all = new List<double>(clients * roundTrips * 2);
        foreach (var latencies in perClient)
        {
            all.AddRange(latencies);
        }

        return all;
    }

    private static async Task ClientAsync(HttpClient http, int ownerPort, int target, int roundTrips, List<double> latencies)
    {
        // The session always lives on the owner: its handshake goes there directly.
        var sid = await OpenAsync(http, ownerPort).ConfigureAwait(false);
        var url = $"http://127.0.0.1:{target}/socket.io/?EIO=4&transport=polling&sid={sid}";
        for (int n = 0; n < roundTrips; n++)
        {
            long start = Stopwatch.GetTimestamp();
            using (var content = new StringContent($"42{n}[\"echo\",\"r\"]"))
            using (var post = await http.PostAsync(url, content).ConfigureAwait(false))
            {
                Expect(post.StatusCode == HttpStatusCode.OK, $"POST answered {(int)post.StatusCode}");
            }

            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            start = Stopwatch.GetTimestamp();
            var body = await http.GetStringAsync(url).ConfigureAwait(false);
            latencies.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            Expect(body.StartsWith($"43{n}[", StringComparison.Ordinal), $"GET brought '{body}', not ack {n}");
        }

        using var close = new StringContent("1");
        using var closed = await http.PostAsync(url, close).ConfigureAwait(false);
    }

    private static async Task<string> OpenAsync(HttpClient http, int port)
    {
        var url = $"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling";
        var open = await http.GetStringAsync(url).ConfigureAwait(false);
        using var handshake = JsonDocument.Parse(open.AsMemory(1));
        var sid = handshake.RootElement.GetProperty("sid").GetString() ?? throw new InvalidOperationException("no sid in " + open);
        using var connectPacket = new StringContent("40");
        using var connect = await http.PostAsync(url + "&sid=" + sid, connectPacket).ConfigureAwait(false);
        Expect((await http.GetStringAsync(url + "&sid=" + sid).ConfigureAwait(false)).StartsWith("40", StringComparison.Ordinal), "no CONNECT reply");
        return sid;
    }

    private static void Expect(bool condition, string message)
    {
        if (!condition)
        {
            throw new InvalidOperationException(message);
        }
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
}
