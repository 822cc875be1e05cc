using System.Diagnostics;
using System.Text.Json;
using FastIo.Tests.Interop;
using NUnit.Framework;

namespace FastIo.Tests.Redis;

/// <summary>
/// A long-running Node script of tests/interop (a socket.io server, or a client driver that reports JSON lines and
/// takes commands on stdin), up once it prints "ready"; killed on dispose.
/// </summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = new();
    private int _reportsTaken;

    private NodeProcess(Process process) => _process = process;

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

    public static async Task<NodeProcess> StartAsync(string script, params string[] args)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = NodeScript.Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var node = new NodeProcess(Process.Start(start)!);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(object? sender, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (node._output)
            {
                node._output.Add(e.Data);
            }

            if (e.Data == "ready")
            {
                ready.TrySetResult();
            }
        }

        node._process.OutputDataReceived += OnLine;
        node._process.ErrorDataReceived += OnLine;
        node._process.BeginOutputReadLine();
        node._process.BeginErrorReadLine();
        var finished = await Task.WhenAny(ready.Task, node._process.WaitForExitAsync(), Task.Delay(20_000));
        if (finished != ready.Task)
        {
            await node.DisposeAsync();
            Assert.Fail($"{script} did not start:\n{node.Output}");
        }

        return node;
    }

    /// <summary>Writes one line to the script's stdin.</summary>
    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>The next JSON line (one starting with <c>{</c>) the script printed after the ones already taken; fails the test after <paramref name="timeout"/>.</summary>
    public async Task<JsonElement> NextReportAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var lastLook = false;
        while (true)
        {
            lock (_output)
            {
                var seen = 0;
                foreach (var line in _output)
                {
                    if (line.StartsWith('{') && seen++ == _reportsTaken)
                    {
                        _reportsTaken++;
                        return JsonDocument.Parse(line).RootElement.Clone();
                    }
                }

                if (lastLook)
                {
                    Assert.Fail($"no report {_reportsTaken + 1} within {timeout.TotalSeconds} s (exited: {_process.HasExited}):\n{string.Join('\n', _output)}");
                }
            }

            // Lines of an exited script may still be in flight: look once more after a pause.
            lastLook = DateTime.UtcNow > deadline || _process.HasExited;
            await Task.Delay(lastLook ? 200 : 50);
        }
    }

    /// <summary>Waits for the script to exit by itself; fails the test after <paramref name="timeout"/> or on a non-zero exit code.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"the script did not exit within {timeout.TotalSeconds} s:\n{Output}");
        }

        Assert.That(_process.ExitCode, Is.Zero, Output);
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
}
