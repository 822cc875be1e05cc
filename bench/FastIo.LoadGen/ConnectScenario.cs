namespace FastIo.LoadGen;

/// <summary>
/// S2: server CPU per connect, from TCP accept to the Socket.IO connect acknowledged: straight WebSocket, and the
/// browser default polling → WebSocket upgrade. Closing is not counted (connections stay open until read).
/// </summary>
internal static class ConnectScenario
{
    public static async Task RunAsync(ScenarioContext context)
    {
        // Warm-ups of thousands of connects: Node's per-connect CPU keeps falling for its first ~4 000 (JIT): 445, 300,
        // 165, 140, then 120-160 µs per WebSocket connect in rounds of 2 000 (bench/RESULTS.md 2026-11-26 "warm S2").
        // A warm-up of 300 measured Node half cold and flattered the ratio. FastIo is warm after its first 2 000.
        // In rounds, so that the measured phase uses well over a second of FastIo's CPU (/proc counts in 10 ms ticks:
        // 3 000 connects were 0.12 s, ±8 % from the ticks alone) while no round holds more sockets than the
        // open-files limit allows beside the generator's own.
        await MeasureAsync(context, viaPolling: false, warmup: context.Pick(6_000, 50), rounds: context.Pick(4, 1), perRound: context.Pick(6_000, 150),
            "S2 CPU per WebSocket connect (µs)", "S2 WebSocket connects/s", "S2 kernel CPU per WebSocket connect (µs)").ConfigureAwait(false);
        await MeasureAsync(context, viaPolling: true, warmup: context.Pick(4_500, 20), rounds: context.Pick(4, 1), perRound: context.Pick(3_000, 60),
            "S2 CPU per polling→upgrade connect (µs)", "S2 polling→upgrade connects/s", "S2 kernel CPU per polling→upgrade connect (µs)").ConfigureAwait(false);
    }

    private static async Task MeasureAsync(ScenarioContext context, bool viaPolling, int warmup, int rounds, int perRound, string cpuName, string rateName, string kernelName)
    {
        for (int done = 0; done < warmup; done += 1_500)
        {
            Connector.DisposeAll(await context.ConnectAsync(Math.Min(1_500, warmup - done), ClientSink.None, viaPolling).ConfigureAwait(false));
            await context.SettleAsync(300).ConfigureAwait(false);
        }

        await context.SettleUntilIdleAsync(1_000).ConfigureAwait(false);
        double used = 0;
        double usedInKernel = 0;
        double elapsed = 0;
        for (int round = 0; round < rounds; round++)
        {
            double cpu = context.Server.CpuSeconds();
            double kernel = context.Server.KernelCpuSeconds();
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            var clients = await context.ConnectAsync(perRound, ClientSink.None, viaPolling).ConfigureAwait(false);
            elapsed += ScenarioContext.ElapsedSeconds(start);
            used += context.Server.CpuSeconds() - cpu;
            usedInKernel += context.Server.KernelCpuSeconds() - kernel;

            // The closes are not counted: they happen between the rounds, and the next round starts once the server's
            // CPU is idle again.
            Connector.DisposeAll(clients);
            await context.SettleUntilIdleAsync(1_000).ConfigureAwait(false);
        }

        int count = rounds * perRound;
        context.Report(cpuName, used * 1e6 / count);
        context.Report(rateName, count / elapsed);
        context.Report(kernelName, usedInKernel * 1e6 / count);
    }
}
