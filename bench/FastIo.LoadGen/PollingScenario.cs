using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace FastIo.LoadGen;

/// <summary>
/// S6: long-polling echo with ack: per client one connection keeps a GET waiting while another POSTs the event;
/// the ack comes back on the GET. Server CPU per ack and round-trip latency.
/// </summary>
internal static class PollingScenario
{
    public static async Task RunAsync(ScenarioContext context)
    {
        int clients = context.Pick(10, 4);

        // Warm-up of 2 s, as S3 has (500 acks took ~50 ms: the JIT's tier-up of the server, Node's or .NET's, then fell
        // inside the measured 5 000; bench/RESULTS.md 2026-11-25 "httppath"). Bounded in rounds, not only in time.
        var warmUp = System.Diagnostics.Stopwatch.StartNew();
        for (int round = 0; round < context.Pick(40, 1) && warmUp.Elapsed < TimeSpan.FromSeconds(2); round++)
        {
            await RunClientsAsync(context, clients, context.Pick(1_000, 50), new LogLinearHistogram()).ConfigureAwait(false);
        }

        // 75 000 acks: about a second of FastIo's CPU (/proc counts in 10 ms ticks; 5 000 acks were 70 ms, ±14 %).
        long count = context.Pick(75_000, 200);
        var latency = new LogLinearHistogram();
        double cpu = context.Server.CpuSeconds();
        double kernel = context.Server.KernelCpuSeconds();
        await RunClientsAsync(context, clients, count, latency).ConfigureAwait(false);
        double used = context.Server.CpuSeconds() - cpu;
        context.Report("S6 long-polling CPU per ack (µs)", used * 1e6 / count);

        // The kernel's share (the system calls and the loopback TCP work done for the server) is a floor no server
        // code removes except by making fewer system calls: it bounds how low the ratio against Node can go.
        context.Report("S6 long-polling kernel CPU per ack (µs)", (context.Server.KernelCpuSeconds() - kernel) * 1e6 / count);
        context.Report("S6 long-polling p50 (µs)", latency.ValueAt(0.5) / 1e3);
    }

    private static async Task RunClientsAsync(ScenarioContext context, int clients, long count, LogLinearHistogram latency)
    {
        await RunClientsAsync(context.Server.EndPoint, context.NextClientIndex, clients, count, latency, context.CancellationToken).ConfigureAwait(false);
        context.NextClientIndex += clients;
    }

    /// <summary>
    /// <paramref name="clients"/> polling clients sharing <paramref name="count"/> acks; also used by <c>drive</c>
    /// against a server started by hand.
    /// </summary>
    public static async Task RunClientsAsync(System.Net.IPEndPoint server, int firstIndex, int clients, long count, LogLinearHistogram latency, CancellationToken ct)
    {
        long remaining = count;
        var tasks = new Task[clients];
        for (int c = 0; c < clients; c++)
        {
            int index = firstIndex + c;
            tasks[c] = Task.Run(() => ClientAsync(server, index, () => Interlocked.Decrement(ref remaining) >= 0, latency, ct), ct);
        }

        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(120), ct).ConfigureAwait(false);
    }

    private static async Task ClientAsync(System.Net.IPEndPoint server, int index, Func<bool> next, LogLinearHistogram latency, CancellationToken ct)
    {
        var local = Loopback.Source(index);
        using var post = await HttpLite.ConnectAsync(local, server, ct).ConfigureAwait(false);
        using var get = await HttpLite.ConnectAsync(local, server, ct).ConfigureAwait(false);
        var (_, open) = await post.SendAsync("GET", "/socket.io/?EIO=4&transport=polling", null, ct).ConfigureAwait(false);
        var target = "/socket.io/?EIO=4&transport=polling&sid=" + HttpLite.ParseSid(open);
        await post.SendAsync("POST", target, "40", ct).ConfigureAwait(false);
        var (_, connected) = await get.SendAsync("GET", target, null, ct).ConfigureAwait(false);
        if (connected.Length < 2 || connected[1] != '0')
        {
            throw new IOException("polling connect failed: " + Encoding.UTF8.GetString(connected));
        }

        for (long id = 1; next(); id++)
        {
            var expected = "43" + id.ToString(CultureInfo.InvariantCulture) + "[";
            var waiting = get.SendAsync("GET", target, null, ct);
            long start = Stopwatch.GetTimestamp();
            var (status, _) = await post.SendAsync("POST", target, "42" + id.ToString(CultureInfo.InvariantCulture) + "[\"echo\",\"0123456789abcdef\"]", ct).ConfigureAwait(false);
            if (status != 200)
            {
                throw new IOException($"POST answered {status}");
            }

            while (true)
            {
                var (getStatus, body) = await waiting.ConfigureAwait(false);
                if (getStatus != 200)
                {
                    throw new IOException($"GET answered {getStatus}");
                }

                bool acked = false;
                foreach (var packet in Encoding.UTF8.GetString(body).Split('\u001e'))
                {
                    if (packet == "2")
                    {
                        await post.SendAsync("POST", target, "3", ct).ConfigureAwait(false);
                    }
                    else if (packet.StartsWith(expected, StringComparison.Ordinal))
                    {
                        acked = true;
                    }
                }

                if (acked)
                {
                    break;
                }

                waiting = get.SendAsync("GET", target, null, ct);
            }

            latency.Record((long)((Stopwatch.GetTimestamp() - start) * (1e9 / Stopwatch.Frequency)));
        }
    }
}
