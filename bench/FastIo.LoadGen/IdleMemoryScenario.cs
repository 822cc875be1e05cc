namespace FastIo.LoadGen;

/// <summary>
/// S1: resident memory per idle Socket.IO WebSocket connection, as the slope between two populations (so the
/// process's fixed cost drops out), and the managed/V8 heap slope after a full collection (the <c>stats</c> event).
/// </summary>
internal static class IdleMemoryScenario
{
    public static async Task RunAsync(ScenarioContext context)
    {
        int first = context.Pick(5_000, 200);
        int second = context.Pick(15_000, 600);
        var stats = new LogLinearHistogram();
        var controllerSink = new ClientSink();
        var controller = (await context.ConnectAsync(1, controllerSink).ConfigureAwait(false))[0];
        controller.SetAckFrame(WsFrames.EventWithAck("stats", string.Empty, controller.MaskKey));
        WsClient[]? a = null;
        WsClient[]? b = null;
        try
        {
            a = await context.ConnectAsync(first - 1, ClientSink.None).ConfigureAwait(false);
            var (rss1, heap1) = await ReadAsync(context, controller, stats).ConfigureAwait(false);
            b = await context.ConnectAsync(second - first, ClientSink.None).ConfigureAwait(false);
            var (rss2, heap2) = await ReadAsync(context, controller, stats).ConfigureAwait(false);
            context.Report("S1 RSS per idle WebSocket connection (KB)", (rss2 - rss1) * 1.024 / (second - first));
            context.Report("S1 heap per idle WebSocket connection (KB)", (heap2 - heap1) / 1000.0 / (second - first));
        }
        finally
        {
            Connector.DisposeAll(b ?? []);
            Connector.DisposeAll(a ?? []);
            controller.Dispose();
        }
    }

    /// <summary>Settles, asks the server for a full collection and its heap size, then reads RSS (KiB).</summary>
    private static async Task<(long RssKb, long HeapBytes)> ReadAsync(ScenarioContext context, WsClient controller, LogLinearHistogram stats)
    {
        await context.SettleAsync(2_000).ConfigureAwait(false);
        var sink = new AckSink(stats, 1);
        controller.Sink = sink;
        controller.SendWithAck(System.Diagnostics.Stopwatch.GetTimestamp());
        await sink.Done.WaitAsync(TimeSpan.FromSeconds(30), context.CancellationToken).ConfigureAwait(false);
        await context.SettleAsync(500).ConfigureAwait(false);
        return (context.Server.RssKb(), sink.LastNumber);
    }
}
