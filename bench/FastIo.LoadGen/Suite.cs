using System.Globalization;
using System.Text;

namespace FastIo.LoadGen;

/// <summary>
/// Runs the scenarios of performance.md against FastIo and Node alternately (A B A B …), each run on a fresh
/// server, and prints the medians and FastIo ÷ Node ratios as a markdown table.
/// </summary>
internal static class Suite
{
    /// <summary>The scenarios in order; <c>Nodes</c> &gt; 1 runs a cluster of that many servers on a fresh redis-server.</summary>
    private static readonly (string Id, Func<ScenarioContext, Task> Run, int Nodes)[] s_scenarios =
    [
        ("S1", IdleMemoryScenario.RunAsync, 1),
        ("S2", ConnectScenario.RunAsync, 1),
        ("S3", EchoScenario.FixedRateAsync, 1),
        ("S4", EchoScenario.SaturationAsync, 1),
        ("S5-1k", BroadcastScenario.Run1kAsync, 1),
        ("S5-10k", BroadcastScenario.Run10kAsync, 1),
        ("S6", PollingScenario.RunAsync, 1),
        ("S7", CrossNodeBroadcastScenario.RunAsync, 2),
    ];

    /// <summary>Targets from performance.md, by the start of the figure's name.</summary>
    private static readonly (string Prefix, string Target)[] s_targets =
    [
        ("S1 RSS", "≤ 0.25× (≤ 4 KB)"),
        ("S2 CPU per WebSocket", "≤ 0.15×"),
        ("S2 CPU per polling", "≤ 0.25×"),
        ("S3 echo p50", "≤ 0.7×"),
        ("S3 echo p99 ", "≤ 0.5×"),
        ("S4 CPU per ack", "≤ 0.25× (≤ 8 µs)"),
        ("S5a CPU", "≤ 0.6×"),
        ("S5b CPU", "≤ 0.15×"),
        ("S6 long-polling CPU", "≤ 0.3×"),
        ("S7a deliveries per server CPU", "≥ 5×"),
        ("S7b deliveries per server CPU", "≥ 5×"),
    ];

    /// <summary>The first port from <paramref name="port"/> on with <paramref name="count"/> consecutive ports nobody listens on.</summary>
    private static int FreePorts(int port, int count)
    {
        while (Enumerable.Range(port, count).Any(Listeners.InUse))
        {
            port += count;
        }

        return port;
    }

    public static async Task<int> RunAsync(SuiteOptions options)
    {
        var figures = new Dictionary<string, Dictionary<ServerKind, List<double>>>(StringComparer.Ordinal);
        var order = new List<string>();
        var failures = new List<string>();
        int ok = 0;
        int port = options.BasePort;
        string loadBefore = LoadAverage();
        foreach (var (key, value) in options.ServerEnvironment)
        {
            Console.WriteLine($"server environment: {key}={value}");
        }

        if (options.FastIoArguments.Length > 0)
        {
            Console.WriteLine($"fastio arguments: {options.FastIoArguments}");
        }

        Console.WriteLine($"suite: {(options.Quick ? "quick" : "full")}, {options.Runs} run(s), {Layout(options)}, load average {loadBefore}");
        foreach (var (id, run, nodes) in s_scenarios)
        {
            if (options.Only is not null && !options.Only.Contains(id))
            {
                continue;
            }

            for (int r = 0; r < options.Runs; r++)
            {
                foreach (var kind in options.Servers)
                {
                    var label = $"{id} run {r + 1} {kind}";
                    port = FreePorts(port, nodes);
                    try
                    {
                        var result = await RunOneAsync(options, kind, port, nodes, run).ConfigureAwait(false);
                        ok++;
                        foreach (var (name, value) in result)
                        {
                            if (!figures.TryGetValue(name, out var byKind))
                            {
                                figures[name] = byKind = new Dictionary<ServerKind, List<double>>();
                                order.Add(name);
                            }

                            if (!byKind.TryGetValue(kind, out var values))
                            {
                                byKind[kind] = values = [];
                            }

                            values.Add(value);
                        }

                        Console.WriteLine($"  {label}: " + string.Join("; ", result.Select(f => $"{f.Key} = {Format(f.Value)}")));
                    }
                    catch (Exception e)
                    {
                        failures.Add($"{label}: {e.GetType().Name}: {e.Message}");
                        Console.WriteLine($"  {label}: FAILED {e.GetType().Name}: {e.Message}");
                    }

                    port += nodes;

                    // The port space and the servers' sockets get a moment between runs.
                    await Task.Delay(options.Quick ? 200 : 1_000).ConfigureAwait(false);
                }
            }
        }

        var table = Table(options, figures, order, loadBefore);
        Console.WriteLine();
        Console.WriteLine(table);
        if (options.Output is not null)
        {
            await File.WriteAllTextAsync(options.Output, table).ConfigureAwait(false);
        }

        foreach (var failure in failures)
        {
            Console.WriteLine("broken: " + failure);
        }

        Console.WriteLine($"bench: {ok} scenario runs ok, {failures.Count} broken");
        return failures.Count == 0 && ok > 0 ? 0 : 1;
    }

    /// <summary>
    /// One run on fresh servers of <paramref name="kind"/>: one server on <paramref name="port"/>, or a cluster of
    /// <paramref name="nodes"/> servers on consecutive ports sharing a fresh redis-server.
    /// </summary>
    private static async Task<Dictionary<string, double>> RunOneAsync(SuiteOptions options, ServerKind kind, int port, int nodes, Func<ScenarioContext, Task> run)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(options.Quick ? 90 : 600));
        using var redis = nodes > 1 ? await RedisServer.StartAsync(options.Pinned, timeout.Token).ConfigureAwait(false) : null;
        var servers = new List<ServerProcess>();
        try
        {
            for (int node = 0; node < nodes; node++)
            {
                servers.Add(await ServerProcess.StartAsync(kind, options.RepoRoot, port + node, options.Pinned, options.ServerEnvironment, options.FastIoArguments, redis?.Port, timeout.Token).ConfigureAwait(false));
            }

            var context = new ScenarioContext(servers, redis, options.Quick, timeout.Token);
            await run(context).WaitAsync(timeout.Token).ConfigureAwait(false);
            return context.Figures;
        }
        finally
        {
            foreach (var server in servers)
            {
                server.Dispose();
            }
        }
    }

    /// <summary>Where everything runs, for the output: the cluster scenario puts both nodes of a side on one core.</summary>
    private static string Layout(SuiteOptions options)
    {
        bool cluster = s_scenarios.Any(s => s.Nodes > 1 && (options.Only is null || options.Only.Contains(s.Id)));
        if (!options.Pinned)
        {
            return cluster ? "unpinned (servers, generator and S7's redis-server float over all cores)" : "unpinned";
        }

        return cluster
            ? "pinned: server on core 0, generator on core 1; S7: both nodes of a side on core 0, generator and redis-server on core 1"
            : "pinned: server on core 0, generator on core 1";
    }

    private static string Table(SuiteOptions options, Dictionary<string, Dictionary<ServerKind, List<double>>> figures, List<string> order, string loadBefore)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores visible to the generator, load average before {loadBefore}, after {LoadAverage()}; {Layout(options)}; median of {options.Runs} run(s) per server, alternating FastIo/Node.");
        sb.AppendLine();
        sb.AppendLine("| figure | FastIo | Node | FastIo ÷ Node | target | runs |");
        sb.AppendLine("|---|---:|---:|---:|---|---|");
        foreach (var name in order)
        {
            var byKind = figures[name];
            double fastIo = Median(byKind.GetValueOrDefault(ServerKind.FastIo));
            double node = Median(byKind.GetValueOrDefault(ServerKind.Node));
            string ratio = double.IsNaN(fastIo) || double.IsNaN(node) || node == 0 ? "–" : (fastIo / node).ToString("0.00", CultureInfo.InvariantCulture) + "×";
            string target = string.Empty;
            foreach (var (prefix, t) in s_targets)
            {
                if (name.StartsWith(prefix, StringComparison.Ordinal))
                {
                    target = t;
                }
            }

            sb.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {Format(fastIo)} | {Format(node)} | {ratio} | {target} | {Runs(byKind, ServerKind.FastIo)} / {Runs(byKind, ServerKind.Node)} |");
        }

        return sb.ToString();
    }

    private static string Runs(Dictionary<ServerKind, List<double>> byKind, ServerKind kind) =>
        byKind.TryGetValue(kind, out var values) ? string.Join(" ", values.Select(Format)) : "–";

    internal static double Median(List<double>? values)
    {
        if (values is null || values.Count == 0)
        {
            return double.NaN;
        }

        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Format(double value) =>
        double.IsNaN(value) ? "–" : value >= 1000 ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("0.00", CultureInfo.InvariantCulture);

    private static string LoadAverage()
    {
        try
        {
            var parts = File.ReadAllText("/proc/loadavg").Split(' ');
            return $"{parts[0]} {parts[1]} {parts[2]}";
        }
        catch (IOException)
        {
            return "?";
        }
    }
}
