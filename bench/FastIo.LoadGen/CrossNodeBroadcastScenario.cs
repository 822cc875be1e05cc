using System.Diagnostics;

namespace FastIo.LoadGen;

/// <summary>
/// S7: cross-node broadcast through Redis. Two nodes of one kind share a fresh redis-server; receivers are split
/// evenly over them and one controller per node triggers 100-byte broadcasts in turn, so each node both publishes
/// and receives through Redis. Every broadcast must reach every socket of the cluster but its sender, counted
/// exactly: a missing or an extra delivery fails the run. Server CPU is summed over both nodes; Redis's own CPU is
/// reported apart (it is the same redis-server for both kinds).
/// </summary>
internal static class CrossNodeBroadcastScenario
{
    /// <summary>Attempts per node to see a broadcast reach the whole cluster before counting starts.</summary>
    private const int SubscribeAttempts = 20;

    public static async Task RunAsync(ScenarioContext context)
    {
        if (context.Servers.Count != 2 || context.Redis is null)
        {
            throw new InvalidOperationException("S7 needs two nodes sharing a redis-server");
        }

        int perNode = context.Pick(100, 20);
        int rounds = context.Pick(3_000, 100);
        int burstRounds = context.Pick(400, 10);
        var sink = new BroadcastSink();
        var senders = new List<WsClient>();
        var receivers = new List<WsClient[]>();
        try
        {
            // The controllers count as receivers too (each gets the other node's broadcasts), so the count per
            // broadcast is simply every socket but the sender.
            for (int node = 0; node < 2; node++)
            {
                senders.Add((await context.ConnectAsync(1, sink, node: node).ConfigureAwait(false))[0]);
                receivers.Add(await context.ConnectAsync(perNode, sink, concurrency: 64, node: node).ConfigureAwait(false));
            }

            WsClient[] turns = [.. senders];
            long perBroadcast = (2L * perNode) + 1;
            await context.SettleAsync(1_000).ConfigureAwait(false);
            long expected = await SubscribedAsync(context, turns, sink, perBroadcast).ConfigureAwait(false);
            expected = await BroadcastScenario.RoundsAsync(context, turns, 1, sink, Math.Max(4, rounds / 10), perBroadcast, expected).ConfigureAwait(false);
            expected = await BroadcastScenario.RoundsAsync(context, turns, 10, sink, 2, perBroadcast * 10, expected).ConfigureAwait(false);

            double redisCpu = context.Redis.CpuSeconds();
            double cpu = context.ServerCpuSeconds();
            long start = Stopwatch.GetTimestamp();
            expected = await BroadcastScenario.RoundsAsync(context, turns, 1, sink, rounds, perBroadcast, expected).ConfigureAwait(false);
            Report(context, "S7a", "one at a time", (double)rounds * perBroadcast, context.ServerCpuSeconds() - cpu, ScenarioContext.ElapsedSeconds(start));

            cpu = context.ServerCpuSeconds();
            start = Stopwatch.GetTimestamp();
            expected = await BroadcastScenario.RoundsAsync(context, turns, 10, sink, burstRounds, perBroadcast * 10, expected).ConfigureAwait(false);
            Report(context, "S7b", "bursts of 10", (double)burstRounds * perBroadcast * 10, context.ServerCpuSeconds() - cpu, ScenarioContext.ElapsedSeconds(start));
            context.Report("S7 redis-server CPU per broadcast (µs)", (context.Redis.CpuSeconds() - redisCpu) * 1e6 / (rounds + (burstRounds * 10.0)));

            // Duplicates would arrive right behind the last round; on loopback they are in by now.
            await context.SettleAsync(300).ConfigureAwait(false);
            if (sink.Delivered != expected)
            {
                throw new InvalidOperationException($"{sink.Delivered} deliveries where {expected} were expected: {sink.Delivered - expected} extra");
            }
        }
        finally
        {
            foreach (var clients in receivers)
            {
                Connector.DisposeAll(clients);
            }

            Connector.DisposeAll([.. senders]);
        }
    }

    private static void Report(ScenarioContext context, string id, string shape, double deliveries, double cpu, double elapsed)
    {
        context.Report($"{id} CPU per delivery, 2 nodes, {shape} (µs)", cpu * 1e6 / deliveries);
        context.Report($"{id} deliveries/s, 2 nodes, {shape}", deliveries / elapsed);

        // A quick run can finish a phase within one clock tick (10 ms) of CPU: no figure rather than infinity.
        context.Report($"{id} deliveries per server CPU second, {shape}", cpu > 0 ? deliveries / cpu : double.NaN);
    }

    /// <summary>
    /// A node subscribes to Redis asynchronously once it listens, and pub/sub keeps no backlog, so a broadcast
    /// sent before both nodes have subscribed is lost by design. Each node sends probes until one reaches every
    /// socket of the cluster; exact counting starts from the total after that.
    /// </summary>
    private static async Task<long> SubscribedAsync(ScenarioContext context, WsClient[] senders, BroadcastSink sink, long perBroadcast)
    {
        for (int node = 0; node < senders.Length; node++)
        {
            senders[node].SetAckFrame(BroadcastScenario.Trigger(senders[node], 1));
            for (int attempt = 1; ; attempt++)
            {
                var reached = sink.ExpectAsync(sink.Delivered + perBroadcast);
                senders[node].SendWithAck(Stopwatch.GetTimestamp());
                try
                {
                    await reached.WaitAsync(TimeSpan.FromSeconds(1), context.CancellationToken).ConfigureAwait(false);
                    break;
                }
                catch (TimeoutException) when (attempt < SubscribeAttempts)
                {
                }
                catch (TimeoutException)
                {
                    throw new TimeoutException($"S7: no broadcast from node {node} reached the whole cluster in {SubscribeAttempts} attempts (Redis subscriptions?)");
                }
            }
        }

        // A probe that reached only part of the cluster has no stragglers left after this.
        await context.SettleAsync(300).ConfigureAwait(false);
        return sink.Delivered;
    }
}
