using System.Diagnostics;

namespace FastIo.LoadGen;

/// <summary>
/// S5: server CPU per broadcast delivery of a 100-byte event to every other client: (a) one broadcast at a time,
/// each delivered everywhere before the next; (b) bursts of 10, where a server can put frames in one send.
/// </summary>
internal static class BroadcastScenario
{
    private static readonly string s_data = ",\"" + new string('x', 100) + "\"";

    // The bursts' rounds are sized for at least ~0.6 s of FastIo's CPU (/proc counts in 10 ms ticks); one burst
    // delivery costs FastIo about a tenth of a single one.
    public static Task Run1kAsync(ScenarioContext context) =>
        RunAsync(context, "1k", context.Pick(1_000, 100), rounds: context.Pick(300, 20), burstRounds: context.Pick(100, 4));

    public static Task Run10kAsync(ScenarioContext context) =>
        RunAsync(context, "10k", context.Pick(10_000, 300), rounds: context.Pick(40, 10), burstRounds: context.Pick(10, 2));

    private static async Task RunAsync(ScenarioContext context, string label, int receivers, int rounds, int burstRounds)
    {
        var sink = new BroadcastSink();
        var controller = (await context.ConnectAsync(1, ClientSink.None).ConfigureAwait(false))[0];
        WsClient[]? clients = null;
        try
        {
            clients = await context.ConnectAsync(receivers, sink, concurrency: 64).ConfigureAwait(false);
            await context.SettleAsync(1_000).ConfigureAwait(false);
            long expected = 0;
            expected = await RoundsAsync(context, [controller], 1, sink, Math.Max(2, rounds / 10), receivers, expected).ConfigureAwait(false);
            expected = await RoundsAsync(context, [controller], 10, sink, 1, receivers * 10, expected).ConfigureAwait(false);

            double cpu = context.Server.CpuSeconds();
            long start = Stopwatch.GetTimestamp();
            expected = await RoundsAsync(context, [controller], 1, sink, rounds, receivers, expected).ConfigureAwait(false);
            double elapsed = ScenarioContext.ElapsedSeconds(start);
            double used = context.Server.CpuSeconds() - cpu;
            context.Report($"S5a CPU per delivery, {label} clients, one at a time (µs)", used * 1e6 / ((double)rounds * receivers));
            context.Report($"S5a deliveries/s, {label} clients", (double)rounds * receivers / elapsed);

            cpu = context.Server.CpuSeconds();
            await RoundsAsync(context, [controller], 10, sink, burstRounds, receivers * 10, expected).ConfigureAwait(false);
            used = context.Server.CpuSeconds() - cpu;
            context.Report($"S5b CPU per delivery, {label} clients, bursts of 10 (µs)", used * 1e6 / ((double)burstRounds * receivers * 10));
        }
        finally
        {
            Connector.DisposeAll(clients ?? []);
            controller.Dispose();
        }
    }

    /// <summary>The controller's <c>broadcast(count, data)</c> request with an ack, masked with its key.</summary>
    public static byte[] Trigger(WsClient controller, int count) =>
        WsFrames.EventWithAck("broadcast", "," + count.ToString(System.Globalization.CultureInfo.InvariantCulture) + s_data, controller.MaskKey);

    /// <summary>
    /// Rounds of <paramref name="count"/> broadcasts from the senders in turn, each round delivered everywhere
    /// (<paramref name="perRound"/> more deliveries) before the next; a round short of its deliveries after 30 s
    /// fails with the number missing. Returns the deliveries expected so far.
    /// </summary>
    public static async Task<long> RoundsAsync(ScenarioContext context, WsClient[] senders, int count, BroadcastSink sink, int rounds, long perRound, long expected)
    {
        foreach (var sender in senders)
        {
            sender.SetAckFrame(Trigger(sender, count));
        }

        for (int r = 0; r < rounds; r++)
        {
            expected += perRound;
            var reached = sink.ExpectAsync(expected);
            senders[r % senders.Length].SendWithAck(Stopwatch.GetTimestamp());
            try
            {
                await reached.WaitAsync(TimeSpan.FromSeconds(30), context.CancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                long delivered = sink.Delivered;
                throw new TimeoutException($"broadcast round {r}: {delivered} of {expected} deliveries, {expected - delivered} missing");
            }
        }

        return expected;
    }
}
