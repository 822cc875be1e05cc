using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NUnit.Framework;

namespace FastIo.Tests.Deploy;

/// <summary>
/// A program the test starts (fastio, nginx, haproxy) with its output kept for failure messages and log checks;
/// killed with its children on dispose, so a failing test leaves nothing running.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = new();

    private ChildProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join('\n', _output);
            }
        }
    }

    /// <summary>Starts <paramref name="program"/>; a program that is not installed fails the test with <paramref name="missing"/>.</summary>
    public static ChildProcess Start(string program, IEnumerable<string> args, string missing)
    {
        var path = Find(program);
        if (path is null)
        {
            Assert.Fail($"{program} is not installed: {missing}");
        }

        var start = new ProcessStartInfo(path!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true, // never the test runner's stdin
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var child = new ChildProcess(Process.Start(start)!);
        void OnLine(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is not null)
            {
                lock (child._output)
                {
                    child._output.Add(e.Data);
                }
            }
        }

        child._process.OutputDataReceived += OnLine;
        child._process.ErrorDataReceived += OnLine;
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    /// <summary>A copy of the output lines so far.</summary>
    public List<string> Lines()
    {
        lock (_output)
        {
            return new List<string>(_output);
        }
    }

    /// <summary>Waits until some output line contains <paramref name="text"/>; fails the test after <paramref name="timeout"/>.</summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"no \"{text}\" within {timeout.TotalSeconds} s:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until something accepts connections on the loopback <paramref name="port"/>; fails the test if this process exits first.</summary>
    public async Task WaitForPortAsync(int port, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline && !_process.HasExited)
            {
                await Task.Delay(50);
            }
            catch (SocketException)
            {
                Assert.Fail($"nothing listens on {port} after {timeout.TotalSeconds} s (exited: {_process.HasExited}):\n{Output}");
            }
        }
    }

    /// <summary>Sends a signal (<c>TERM</c>, <c>KILL</c>) with kill(1): .NET itself can only SIGKILL another process.</summary>
    public async Task SignalAsync(string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {_process.Id}")!;
        await kill.WaitForExitAsync();
        Assert.That(kill.ExitCode, Is.Zero, $"kill -{signal} {_process.Id}");
    }

    /// <summary>Waits for the process to exit by itself and returns its exit code; fails the test after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"still running {timeout.TotalSeconds} s later:\n{Output}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    /// <summary>The program on PATH, or in the sbin folders where Debian puts nginx and haproxy (not on every user's PATH).</summary>
    private static string? Find(string program)
    {
        var folders = new List<string>((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries));
        folders.AddRange(["/usr/sbin", "/usr/local/sbin", "/sbin"]);
        foreach (var folder in folders)
        {
            var candidate = Path.Combine(folder, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
