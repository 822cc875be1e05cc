using System.Diagnostics;

namespace FastIo.LoadGen;

/// <summary>
/// One scenario run against one server, or against the nodes of one cluster and their redis-server (S7): the
/// servers, the size of the run, and the figures it produced.
/// </summary>
internal sealed class ScenarioContext(IReadOnlyList<ServerProcess> servers, RedisServer? redis, bool quick, CancellationToken cancellationToken)
{
    /// <summary>The server (the first node of a cluster).</summary>
    public ServerProcess Server => Servers[0];

    public IReadOnlyList<ServerProcess> Servers { get; } = servers;

    public RedisServer? Redis { get; } = redis;

    public bool Quick { get; } = quick;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public Dictionary<string, double> Figures { get; } = new(StringComparer.Ordinal);

    /// <summary>Index of the next source address to use, so consecutive connections spread over 127.0.0.x.</summary>
    public int NextClientIndex { get; set; }

    public int Pick(int full, int quick) => Quick ? quick : full;

    public void Report(string name, double value) => Figures[name] = value;

    /// <summary>CPU seconds used so far by all the servers together (both nodes of a cluster).</summary>
    public double ServerCpuSeconds() => Servers.Sum(s => s.CpuSeconds());

    /// <param name="node">Which server (cluster node) the clients connect to.</param>
    public async Task<WsClient[]> ConnectAsync(int count, ClientSink sink, bool viaPolling = false, int concurrency = 32, int node = 0)
    {
        var clients = await Connector.ConnectManyAsync(Servers[node].EndPoint, count, concurrency, viaPolling, NextClientIndex, sink, CancellationToken).ConfigureAwait(false);
        NextClientIndex += count;
        return clients;
    }

    /// <summary>Lets the server finish what the last phase left (closes, timers) before the next reading.</summary>
    public Task SettleAsync(int milliseconds) => Task.Delay(Quick ? Math.Min(milliseconds, 300) : milliseconds, CancellationToken);

    /// <summary>
    /// Waits at least <paramref name="milliseconds"/>, then until the server's CPU stops moving (at most one 10 ms tick
    /// in 200 ms) or <paramref name="capMilliseconds"/> passed: what the last phase left (thousands of closes, a GC)
    /// must not be billed to the next reading. A fixed pause assumed it; Node's closes of 6 000 clients take longer.
    /// </summary>
    public async Task SettleUntilIdleAsync(int milliseconds, int capMilliseconds = 10_000)
    {
        await SettleAsync(milliseconds).ConfigureAwait(false);
        long start = Stopwatch.GetTimestamp();
        while (ElapsedSeconds(start) * 1_000 < (Quick ? 1_000 : capMilliseconds))
        {
            double before = ServerCpuSeconds();
            await Task.Delay(200, CancellationToken).ConfigureAwait(false);
            if (ServerCpuSeconds() - before <= 0.0105)
            {
                return;
            }
        }
    }

    public static double ElapsedSeconds(long startTimestamp) => (Stopwatch.GetTimestamp() - startTimestamp) / (double)Stopwatch.Frequency;
}
