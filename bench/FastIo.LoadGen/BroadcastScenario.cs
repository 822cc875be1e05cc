using System.Diagnostics;

namespace FastIo.LoadGen;

/// <summary>
/// S5: server CPU per broadcast delivery of a 100-byte event to every other client: (a) one broadcast at a time,
/// each delivered everywhere before the next; (b) bursts of 10, where a server can put frames in one send.
/// </summary>
internal static class BroadcastScenario
{
    private static readonly string s_data = ",\"" + new string('x', 100) + "\"";

    public static Task Run1kAsync(ScenarioContext context) =>
        RunAsync(context, "1k", context.Pick(1_000, 100), rounds: context.Pick(300, 20), burstRounds: context.Pick(30, 4));

    public static Task Run10kAsync(ScenarioContext context) =>
        RunAsync(context, "10k", context.Pick(10_000, 300), rounds: context.Pick(40, 10), burstRounds: context.Pick(6, 2));

    private static async Task RunAsync(ScenarioContext context, string label, int receivers, int rounds, int burstRounds)
    {
        var sink = new BroadcastSink();
        var controller = (await context.ConnectAsync(1, ClientSink.None).ConfigureAwait(false))[0];
        WsClient[]? clients = null;
        try
        {
            clients = await context.ConnectAsync(receivers, sink, concurrency: 64).ConfigureAwait(false);
            await context.SettleAsync(1_000).ConfigureAwait(false);
            var one = Trigger(controller, 1);
            var ten = Trigger(controller, 10);
            long expected = 0;
            expected = await RoundsAsync(context, controller, one, sink, Math.Max(2, rounds / 10), receivers, expected).ConfigureAwait(false);
            expected = await RoundsAsync(context, controller, ten, sink, 1, receivers * 10, expected).ConfigureAwait(false);

            double cpu = context.Server.CpuSeconds();
            long start = Stopwatch.GetTimestamp();
            expected = await RoundsAsync(context, controller, one, sink, rounds, receivers, expected).ConfigureAwait(false);
            double elapsed = ScenarioContext.ElapsedSeconds(start);
            double used = context.Server.CpuSeconds() - cpu;
            context.Report($"S5a CPU per delivery, {label} clients, one at a time (µs)", used * 1e6 / ((double)rounds * receivers));
            context.Report($"S5a deliveries/s, {label} clients", (double)rounds * receivers / elapsed);

            cpu = context.Server.CpuSeconds();
            await RoundsAsync(context, controller, ten, sink, burstRounds, receivers * 10, expected).ConfigureAwait(false);
            used = context.Server.CpuSeconds() - cpu;
            context.Report($"S5b CPU per delivery, {label} clients, bursts of 10 (µs)", used * 1e6 / ((double)burstRounds * receivers * 10));
        }
        finally
        {
            Connector.DisposeAll(clients ?? []);
            controller.Dispose();
        }
    }

    private static byte[] Trigger(WsClient controller, int count) =>
        WsFrames.EventWithAck("broadcast", "," + count.ToString(System.Globalization.CultureInfo.InvariantCulture) + s_data, controller.MaskKey);

    private static async Task<long> RoundsAsync(ScenarioContext context, WsClient controller, byte[] trigger, BroadcastSink sink, int rounds, long perRound, long expected)
    {
        controller.SetAckFrame(trigger);
        for (int r = 0; r < rounds; r++)
        {
            expected += perRound;
            var reached = sink.ExpectAsync(expected);
            controller.SendWithAck(Stopwatch.GetTimestamp());
            try
            {
                await reached.WaitAsync(TimeSpan.FromSeconds(30), context.CancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new TimeoutException($"broadcast round {r}: {sink.Delivered} of {expected} deliveries");
            }
        }

        return expected;
    }
}
