using System.Diagnostics;
using FastIo.Tests.Interop;
using NUnit.Framework;

namespace FastIo.Tests.Redis;

/// <summary>A long-running Node script of tests/interop (a socket.io server), up once it prints "ready"; killed on dispose.</summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = new();

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
