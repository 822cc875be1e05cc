namespace FastIo.LoadGen;

/// <summary>
/// S2: server CPU per connect, from TCP accept to the Socket.IO connect acknowledged: straight WebSocket, and the
/// browser default polling → WebSocket upgrade. Closing is not counted (connections stay open until read).
/// </summary>
internal static class ConnectScenario
{
    public static async Task RunAsync(ScenarioContext context)
    {
        await MeasureAsync(context, viaPolling: false, warmup: context.Pick(300, 50), count: context.Pick(3_000, 150),
            "S2 CPU per WebSocket connect (µs)", "S2 WebSocket connects/s", "S2 kernel CPU per WebSocket connect (µs)").ConfigureAwait(false);
        await MeasureAsync(context, viaPolling: true, warmup: context.Pick(100, 20), count: context.Pick(1_000, 60),
            "S2 CPU per polling→upgrade connect (µs)", "S2 polling→upgrade connects/s", "S2 kernel CPU per polling→upgrade connect (µs)").ConfigureAwait(false);
    }

    private static async Task MeasureAsync(ScenarioContext context, bool viaPolling, int warmup, int count, string cpuName, string rateName, string kernelName)
    {
        Connector.DisposeAll(await context.ConnectAsync(warmup, ClientSink.None, viaPolling).ConfigureAwait(false));
        await context.SettleAsync(1_000).ConfigureAwait(false);
        double cpu = context.Server.CpuSeconds();
        double kernel = context.Server.KernelCpuSeconds();
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        var clients = await context.ConnectAsync(count, ClientSink.None, viaPolling).ConfigureAwait(false);
        double elapsed = ScenarioContext.ElapsedSeconds(start);
        double used = context.Server.CpuSeconds() - cpu;
        double usedInKernel = context.Server.KernelCpuSeconds() - kernel;
        Connector.DisposeAll(clients);
        context.Report(cpuName, used * 1e6 / count);
        context.Report(rateName, count / elapsed);
        context.Report(kernelName, usedInKernel * 1e6 / count);
        await context.SettleAsync(1_000).ConfigureAwait(false);
    }
}
