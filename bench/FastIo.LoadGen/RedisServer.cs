using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace FastIo.LoadGen;

/// <summary>
/// A fresh redis-server for one cluster run (S7): a free loopback port, no persistence, pinned with the generator
/// to core 1 (or unpinned), so both sides of a run face an empty Redis and its CPU never lands on the servers' core.
/// </summary>
internal sealed class RedisServer : IDisposable
{
    private readonly Process _process;

    private RedisServer(Process process, int port, string log)
    {
        _process = process;
        Port = port;
        LogPath = log;
    }

    public int Port { get; }

    public string LogPath { get; }

    public static async Task<RedisServer> StartAsync(bool pinned, CancellationToken cancellationToken)
    {
        int port = FreePort();
        var port_ = port.ToString(CultureInfo.InvariantCulture);
        var log = Path.Combine(Path.GetTempPath(), $"fastio-bench-redis-{port_}.log");
        var process = ChildProcess.Start($"redis-server --port {port_} --bind 127.0.0.1 --save '' --appendonly no", pinned ? 1 : null, log);
        var redis = new RedisServer(process, port, log);
        try
        {
            await redis.WaitReadyAsync(cancellationToken).ConfigureAwait(false);
            return redis;
        }
        catch
        {
            redis.Dispose();
            throw;
        }
    }

    /// <summary>CPU seconds used so far.</summary>
    public double CpuSeconds() => ChildProcess.CpuSeconds(_process.Id);

    public void Dispose() => ChildProcess.Stop(_process);

    private static int FreePort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    /// <summary>Ready once it answers PING (redis-server accepts before it has loaded; PONG means it serves).</summary>
    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency * 10);
        var reply = new byte[16];
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException("redis-server exited at start (scripts/test.sh installs it when missing): " + File.ReadAllText(LogPath).Trim());
            }

            try
            {
                using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, Port), cancellationToken).ConfigureAwait(false);
                await socket.SendAsync("PING\r\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
                int n = await socket.ReceiveAsync(reply, cancellationToken).ConfigureAwait(false);
                if (reply.AsSpan(0, n).StartsWith("+PONG"u8))
                {
                    return;
                }
            }
            catch (SocketException)
            {
            }

            if (Stopwatch.GetTimestamp() > deadline)
            {
                throw new TimeoutException("redis-server not ready after 10 s: " + File.ReadAllText(LogPath).Trim());
            }

            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
    }
}
