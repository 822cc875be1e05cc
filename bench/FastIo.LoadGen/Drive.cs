using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace FastIo.LoadGen;

/// <summary>
/// Runs one scenario's workload against a server started by hand (loopback only), so that it can be traced or
/// profiled (strace -c, perf) while the generator works: S6's long-polling echo, or S2's connects. With the server's
/// pid it prints the server CPU per operation read from /proc, like the suite.
/// </summary>
internal static class Drive
{
    public static async Task<int> RunAsync(string[] args)
    {
        // Every option with its default; an unknown one is an error.
        var options = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["--port"] = "3000", ["--count"] = "20000", ["--pid"] = "0", ["--linger"] = "0", ["--workload"] = "poll",
        };
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            options[options.ContainsKey(args[i]) ? args[i] : throw new FormatException($"unknown option '{args[i]}'")] = args[i + 1];
        }

        int Number(string name) => int.Parse(options[name], CultureInfo.InvariantCulture);
        int count = Math.Clamp(Number("--count"), 1, 1_000_000);
        int pid = Number("--pid");
        int linger = Math.Clamp(Number("--linger"), 0, 60);
        string workload = options["--workload"];
        var server = new IPEndPoint(IPAddress.Loopback, Number("--port"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        (double User, double Kernel) Cpu() => pid > 0 ? ChildProcess.CpuTimes(pid) : default;
        (double User, double Kernel) used = default; // server CPU seconds summed over the measured phases
        void AddUsed((double User, double Kernel) before, (double User, double Kernel) after) =>
            used = (used.User + after.User - before.User, used.Kernel + after.Kernel - before.Kernel);
        double elapsed = 0;
        switch (workload)
        {
            case "poll":
            {
                var cpu = Cpu();
                long start = Stopwatch.GetTimestamp();
                await PollingScenario.RunClientsAsync(server, 0, 10, count, new LogLinearHistogram(), timeout.Token).ConfigureAwait(false);
                elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
                AddUsed(cpu, Cpu());
                break;
            }

            case "echo":
            {
                // S3's open loop against this server: 100 WebSocket clients, 2 s of warm-up, then --count echoes at
                // 10 000 per second; prints the latency percentiles from each send beside the CPU per ack.
                const double rate = 10_000;
                var clients = EchoScenario.Prepare(await Connector.ConnectManyAsync(server, 100, 32, false, 0, ClientSink.None, timeout.Token).ConfigureAwait(false));
                try
                {
                    await EchoScenario.OpenLoopAsync(clients, (long)(2 * rate), rate, new LogLinearHistogram(), timeout.Token).ConfigureAwait(false);
                    var latency = new LogLinearHistogram();
                    var cpu = Cpu();
                    long start = Stopwatch.GetTimestamp();
                    await EchoScenario.OpenLoopAsync(clients, count, rate, latency, timeout.Token).ConfigureAwait(false);
                    elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
                    AddUsed(cpu, Cpu());
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"echo latency: p50 {latency.ValueAt(0.50) / 1e3:F1} µs, p90 {latency.ValueAt(0.90) / 1e3:F1} µs, p99 {latency.ValueAt(0.99) / 1e3:F1} µs, p99.9 {latency.ValueAt(0.999) / 1e3:F1} µs"));
                }
                finally
                {
                    Connector.DisposeAll(clients);
                }

                break;
            }

            case "ws":
            case "upgrade":
                // As S2: only the connects are counted, not the closes. In rounds of at most 2 000 open clients (the
                // open-files limit caps one process near 20 000 sockets), with a pause for the closes in between.
                for (int done = 0; done < count;)
                {
                    int round = Math.Min(2_000, count - done);
                    var cpu = Cpu();
                    long start = Stopwatch.GetTimestamp();
                    var clients = await Connector.ConnectManyAsync(server, round, 32, workload == "upgrade", done, ClientSink.None, timeout.Token).ConfigureAwait(false);
                    elapsed += Stopwatch.GetElapsedTime(start).TotalSeconds;
                    AddUsed(cpu, Cpu());
                    done += round;
                    if (done == count && linger > 0)
                    {
                        // The last round stays open a while, so that a tracer stopped at the report sees connects only.
                        Report(workload, count, elapsed, pid, used);
                        await Task.Delay(TimeSpan.FromSeconds(linger), timeout.Token).ConfigureAwait(false);
                        Connector.DisposeAll(clients);
                        return 0;
                    }

                    Connector.DisposeAll(clients);
                    await Task.Delay(500, timeout.Token).ConfigureAwait(false);
                }

                break;
            default:
                throw new FormatException($"unknown workload '{workload}' (poll, echo, ws, upgrade)");
        }

        Report(workload, count, elapsed, pid, used);
        return 0;
    }

    private static void Report(string workload, int count, double elapsed, int pid, (double User, double Kernel) used)
    {
        // The kernel's part (stime: the system calls and the loopback TCP work billed to the server) beside the total,
        // as the suite prints it for S2, S4 and S6; bench/floors/run-polling-floor.sh reads both.
        string cpuText = pid > 0
            ? string.Create(CultureInfo.InvariantCulture, $", server CPU {(used.User + used.Kernel) * 1e6 / count:F2} µs per op, kernel {used.Kernel * 1e6 / count:F2} µs per op")
            : string.Empty;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{workload}: {count} ops in {elapsed:F2} s ({count / elapsed:F0}/s){cpuText}"));
    }
}
