using System.Diagnostics;

namespace FastIo.LoadGen;

/// <summary>
/// S3: echo-with-ack latency at a fixed offered load (open loop: sends never wait for acks, latency is from each
/// actual send); S4: server CPU per ack at saturation (closed loop, a fixed number in flight per connection).
/// </summary>
internal static class EchoScenario
{
    /// <summary>The echoed argument: a short string, like a chat message id.</summary>
    private const string Args = ",\"0123456789abcdef\"";

    public static async Task FixedRateAsync(ScenarioContext context)
    {
        int connections = context.Pick(100, 20);
        double rate = context.Pick(10_000, 2_000);
        var clients = await PrepareAsync(context, connections).ConfigureAwait(false);
        try
        {
            await OpenLoopAsync(clients, (long)(rate * context.Pick(2, 1)), rate, new LogLinearHistogram(), context.CancellationToken).ConfigureAwait(false);
            var latency = new LogLinearHistogram();
            long count = (long)(rate * context.Pick(10, 2));
            double cpu = context.Server.CpuSeconds();
            double kernel = context.Server.KernelCpuSeconds();
            long switches = context.Server.ContextSwitches();
            double achieved = await OpenLoopAsync(clients, count, rate, latency, context.CancellationToken).ConfigureAwait(false);
            context.Report("S3 offered rate achieved (msg/s)", achieved);
            double used = context.Server.CpuSeconds() - cpu;
            context.Report("S3 server context switches per ack", (context.Server.ContextSwitches() - switches) / (double)count);
            context.Report("S3 echo p50 at fixed rate (µs)", latency.ValueAt(0.50) / 1e3);
            context.Report("S3 echo p90 at fixed rate (µs)", latency.ValueAt(0.90) / 1e3);
            context.Report("S3 echo p99 at fixed rate (µs)", latency.ValueAt(0.99) / 1e3);
            context.Report("S3 echo p99.9 at fixed rate (µs)", latency.ValueAt(0.999) / 1e3);
            context.Report("S3 CPU per ack at fixed rate (µs)", used * 1e6 / count);
        }
        finally
        {
            Connector.DisposeAll(clients);
        }
    }

    public static async Task SaturationAsync(ScenarioContext context)
    {
        int connections = context.Pick(50, 10);
        int inFlight = 4;
        var clients = await PrepareAsync(context, connections).ConfigureAwait(false);
        try
        {
            await ClosedLoopAsync(context, clients, inFlight, context.Pick(30_000, 2_000)).ConfigureAwait(false);
            // 500 000 acks: about a second of FastIo's CPU (/proc counts in 10 ms ticks).
            long count = context.Pick(500_000, 6_000);
            double cpu = context.Server.CpuSeconds();
            double kernel = context.Server.KernelCpuSeconds();
            long switches = context.Server.ContextSwitches();
            long start = Stopwatch.GetTimestamp();
            var latency = await ClosedLoopAsync(context, clients, inFlight, count).ConfigureAwait(false);
            context.Report("S4 server context switches per ack", (context.Server.ContextSwitches() - switches) / (double)count);
            double elapsed = ScenarioContext.ElapsedSeconds(start);
            double used = context.Server.CpuSeconds() - cpu;
            context.Report("S4 CPU per ack at saturation (µs)", used * 1e6 / count);
            context.Report("S4 kernel CPU per ack at saturation (µs)", (context.Server.KernelCpuSeconds() - kernel) * 1e6 / count);
            context.Report("S4 acks/s at saturation", count / elapsed);
            context.Report("S4 server CPU share at saturation", used / elapsed);
            context.Report("S4 echo p99 at saturation (µs)", latency.ValueAt(0.99) / 1e3);
        }
        finally
        {
            Connector.DisposeAll(clients);
        }
    }

    private static async Task<WsClient[]> PrepareAsync(ScenarioContext context, int connections) =>
        Prepare(await context.ConnectAsync(connections, ClientSink.None).ConfigureAwait(false));

    /// <summary>Gives each client its <c>echo</c> frame (S3 and S4; also <c>drive --workload echo</c>).</summary>
    public static WsClient[] Prepare(WsClient[] clients)
    {
        foreach (var client in clients)
        {
            client.SetAckFrame(WsFrames.EventWithAck("echo", Args, client.MaskKey));
        }

        return clients;
    }

    /// <summary>
    /// S3's open loop: <paramref name="count"/> echoes at <paramref name="rate"/> per second over the clients in turn,
    /// each ack's latency from its actual send into <paramref name="latency"/>; returns the rate achieved.
    /// </summary>
    public static async Task<double> OpenLoopAsync(WsClient[] clients, long count, double rate, LogLinearHistogram latency, CancellationToken cancellationToken)
    {
        var sink = new AckSink(latency, count);
        foreach (var client in clients)
        {
            client.Sink = sink;
        }

        long start = Stopwatch.GetTimestamp();
        await Pacer.RunAsync(count, rate, i => clients[i % clients.Length].SendWithAck(Stopwatch.GetTimestamp()), cancellationToken).ConfigureAwait(false);
        double achieved = count / ScenarioContext.ElapsedSeconds(start);
        await WaitAsync(sink, cancellationToken).ConfigureAwait(false);
        return achieved;
    }

    private static async Task<LogLinearHistogram> ClosedLoopAsync(ScenarioContext context, WsClient[] clients, int inFlight, long count)
    {
        var latency = new LogLinearHistogram();
        long initial = Math.Min(count, (long)clients.Length * inFlight);
        var sink = new AckSink(latency, count, count - initial);
        foreach (var client in clients)
        {
            client.Sink = sink;
        }

        for (long i = 0; i < initial; i++)
        {
            clients[i % clients.Length].SendWithAck(Stopwatch.GetTimestamp());
        }

        await WaitAsync(sink, context.CancellationToken).ConfigureAwait(false);
        return latency;
    }

    private static async Task WaitAsync(AckSink sink, CancellationToken cancellationToken)
    {
        try
        {
            await sink.Done.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"acks missing: {sink.Received} received");
        }
    }
}
