using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace FastIo.LoadGen;

/// <summary>The two servers under test.</summary>
internal enum ServerKind
{
    FastIo,
    Node,
}

/// <summary>
/// A server under test, started pinned to core 0 (or unpinned) with its output in a log file, and read through
/// /proc: CPU time (utime+stime, all threads, dead ones included), resident memory and context switches.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, ServerKind kind, int port, string log)
    {
        _process = process;
        Kind = kind;
        EndPoint = new IPEndPoint(IPAddress.Loopback, port);
        LogPath = log;
    }

    public ServerKind Kind { get; }

    public IPEndPoint EndPoint { get; }

    public string LogPath { get; }

    public int Pid => _process.Id;

    /// <param name="redisPort">With a port, the server is a cluster node sharing the redis-server there (S7).</param>
    public static async Task<ServerProcess> StartAsync(ServerKind kind, string repoRoot, int port, bool pinned, IReadOnlyDictionary<string, string> environment, string fastIoArguments, int? redisPort, CancellationToken cancellationToken)
    {
        var port_ = port.ToString(CultureInfo.InvariantCulture);
        var redis = redisPort?.ToString(CultureInfo.InvariantCulture);
        var command = kind == ServerKind.FastIo
            ? $"'{repoRoot}/src/Server/bin/Release/net10.0/fastio' bench --port {port_} --host 127.0.0.1{(redis is null ? string.Empty : " --redis 127.0.0.1:" + redis)} {fastIoArguments}"
            : $"node --expose-gc '{repoRoot}/bench/node-baseline/server.mjs' --port {port_}{(redis is null ? string.Empty : " --redis " + redis)}";
        var log = Path.Combine(Path.GetTempPath(), $"fastio-bench-{kind}-{port_}.log");
        var process = ChildProcess.Start(command, pinned ? 0 : null, log, env =>
        {
            // The generator's own tuning (inline socket completions) must not leak into the server under test: each
            // server runs with its defaults unless --server-env says otherwise.
            env.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");
            foreach (var (key, value) in environment)
            {
                env[key] = value;
            }
        });
        var server = new ServerProcess(process, kind, port, log);
        try
        {
            await server.WaitReadyAsync(cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>CPU seconds used so far.</summary>
    public double CpuSeconds() => ChildProcess.CpuSeconds(Pid);

    /// <summary>CPU seconds used so far in the kernel (stime).</summary>
    public double KernelCpuSeconds() => ChildProcess.CpuTimes(Pid).Kernel;

    /// <summary>Resident set size in KiB (VmRSS).</summary>
    public long RssKb()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("no VmRSS");
    }

    /// <summary>
    /// Context switches (voluntary + involuntary) summed over the live threads: a profile hint for where CPU per
    /// message goes (thread-pool hops and wake-ups show up here); threads that exited are not counted.
    /// </summary>
    public long ContextSwitches()
    {
        long total = 0;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{Pid}/task"))
        {
            try
            {
                foreach (var line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) ||
                        line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        total += long.Parse(line.AsSpan(line.IndexOf(':', StringComparison.Ordinal) + 1).Trim(), CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (IOException)
            {
                // The thread exited between listing and reading.
            }
        }

        return total;
    }

    public void Dispose() => ChildProcess.Stop(_process);

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 30);
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Kind} exited at start: " + File.ReadAllText(LogPath));
            }

            try
            {
                using var http = await HttpLite.ConnectAsync(Loopback.Source(0), EndPoint, cancellationToken).ConfigureAwait(false);
                var (status, _) = await http.SendAsync("GET", "/socket.io/?EIO=4&transport=polling", null, cancellationToken).ConfigureAwait(false);
                if (status == 200)
                {
                    if (Listeners.OwnedBy(Pid, EndPoint.Port))
                    {
                        return;
                    }

                    // Another process answered on this port: ours has not bound yet, or failed to.
                }
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException($"{Kind} not ready after 30 s");
            }

            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }
}
