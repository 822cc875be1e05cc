using System.Globalization;
using FastIo.Tests.Redis;
using NUnit.Framework;

namespace FastIo.Tests.Deploy;

/// <summary>
/// One real <c>fastio serve --redis …</c> process (the built fastio.dll) on a free loopback port, as a node behind
/// a balancer; up once its <c>/health</c> answers.
/// </summary>
internal sealed class ServeNode : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private ServeNode(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Output => _process.Output;

    /// <summary>The process id, to read its CPU time from /proc.</summary>
    public int ProcessId => _process.Id;

    public static async Task<ServeNode> StartAsync(string redisConfiguration, IEnumerable<string> extraArgs)
    {
        var port = MixedClusterTests.FreePort();
        var args = new List<string>
        {
            Path.Combine(TestContext.CurrentContext.TestDirectory, "fastio.dll"), "serve",
            "--host", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture),
            "--redis", redisConfiguration, "--log-level", "Warning",
        };
        args.AddRange(extraArgs);
        var process = ChildProcess.Start("dotnet", args, "the .NET SDK runs the tests, so it should be there");
        var node = new ServeNode(process, port);
        try
        {
            await node.WaitForHealthAsync(TimeSpan.FromSeconds(30));
        }
        catch
        {
            await node.DisposeAsync();
            throw;
        }

        return node;
    }

    /// <summary>SIGTERM: the node stops accepting, closes every session (the clients reconnect) and exits 0.</summary>
    public async Task StopAsync()
    {
        await _process.SignalAsync("TERM");
        Assert.That(await _process.WaitForExitAsync(TimeSpan.FromSeconds(20)), Is.Zero, _process.Output);
    }

    /// <summary>SIGKILL: the node vanishes without closing anything, as after a crash.</summary>
    public async Task KillAsync()
    {
        await _process.SignalAsync("KILL");
        await _process.WaitForExitAsync(TimeSpan.FromSeconds(10));
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private async Task WaitForHealthAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{Port}/health");
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            if (_process.HasExited || DateTime.UtcNow > deadline)
            {
                Assert.Fail($"fastio serve on {Port} is not healthy after {timeout.TotalSeconds} s (exited: {_process.HasExited}):\n{_process.Output}");
            }

            await Task.Delay(100);
        }
    }
}
