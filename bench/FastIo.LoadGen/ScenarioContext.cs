using System.Diagnostics;

namespace FastIo.LoadGen;

/// <summary>One scenario run against one server: the server, the size of the run, and the figures it produced.</summary>
internal sealed class ScenarioContext(ServerProcess server, bool quick, CancellationToken cancellationToken)
{
    public ServerProcess Server { get; } = server;

    public bool Quick { get; } = quick;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public Dictionary<string, double> Figures { get; } = new(StringComparer.Ordinal);

    /// <summary>Index of the next source address to use, so consecutive connections spread over 127.0.0.x.</summary>
    public int NextClientIndex { get; set; }

    public int Pick(int full, int quick) => Quick ? quick : full;

    public void Report(string name, double value) => Figures[name] = value;

    public async Task<WsClient[]> ConnectAsync(int count, ClientSink sink, bool viaPolling = false, int concurrency = 32)
    {
        var clients = await Connector.ConnectManyAsync(Server.EndPoint, count, concurrency, viaPolling, NextClientIndex, sink, CancellationToken).ConfigureAwait(false);
        NextClientIndex += count;
        return clients;
    }

    /// <summary>Lets the server finish what the last phase left (closes, timers) before the next reading.</summary>
    public Task SettleAsync(int milliseconds) => Task.Delay(Quick ? Math.Min(milliseconds, 300) : milliseconds, CancellationToken);

    public static double ElapsedSeconds(long startTimestamp) => (Stopwatch.GetTimestamp() - startTimestamp) / (double)Stopwatch.Frequency;
}
