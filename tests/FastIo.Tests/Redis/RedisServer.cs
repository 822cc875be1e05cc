using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NUnit.Framework;
using StackExchange.Redis;

namespace FastIo.Tests.Redis;

/// <summary>
/// A throwaway <c>redis-server</c> on a free port (no persistence), started by the test and killed after it; it can
/// be stopped and started again on the same port for fault tests. scripts/test.sh installs the binary when missing.
/// </summary>
internal sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port},abortConnect=false,connectRetry=50,connectTimeout=2000,syncTimeout=3000,asyncTimeout=3000";

    public static async Task<RedisServer> StartAsync()
    {
        var server = new RedisServer(FreePort());
        await server.RestartAsync();
        return server;
    }

    /// <summary>A multiplexer of its own (one per simulated server: Redis counts servers by connection).</summary>
    public async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var options = ConfigurationOptions.Parse(Configuration);
        options.ReconnectRetryPolicy = new LinearRetry(200);
        return await ConnectionMultiplexer.ConnectAsync(options);
    }

    public async Task RestartAsync()
    {
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" })
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            _process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail("redis-server is not installed (scripts/test.sh installs it): " + e.Message);
            throw;
        }

        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Waits until the server exits by itself (a client sent SHUTDOWN), then starts it again after <paramref name="pause"/>.</summary>
    public async Task RestartAfterExitAsync(TimeSpan pause, CancellationToken cancellationToken)
    {
        await _process!.WaitForExitAsync(cancellationToken);
        _process.Dispose();
        _process = null;
        await Task.Delay(pause, cancellationToken);
        await RestartAsync();
    }

    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }

        _process?.Dispose();
        _process = null;
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
