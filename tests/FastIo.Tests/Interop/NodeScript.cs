using System.Diagnostics;
using System.Text.Json;
using NUnit.Framework;

namespace FastIo.Tests.Interop;

/// <summary>Runs one of the Node scripts in tests/interop, which drive the real npm clients.</summary>
internal static class NodeScript
{
    private static readonly Lazy<string> s_folder = new(FindFolder);

    public static string Folder => s_folder.Value;

    /// <summary>Runs <c>node script args…</c> and returns its last stdout line parsed as JSON; fails the test on a non-zero exit.</summary>
    public static async Task<JsonElement> RunAsync(string script, params string[] args)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{script} {string.Join(' ', args)} did not finish in 60 s");
        }

        var output = await stdout;
        var errors = await stderr;
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(process.ExitCode, Is.Zero, $"{script} {string.Join(' ', args)} failed:\n{output}\n{errors}");
        return JsonDocument.Parse(lines[^1]).RootElement;
    }

    private static string FindFolder()
    {
        for (var dir = new DirectoryInfo(TestContext.CurrentContext.TestDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "interop");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                if (!Directory.Exists(Path.Combine(candidate, "node_modules")))
                {
                    Assert.Fail($"{candidate}/node_modules is missing: run the README's test command (it runs npm ci there).");
                }

                return candidate;
            }
        }

        throw new InvalidOperationException("tests/interop not found above " + TestContext.CurrentContext.TestDirectory);
    }
}
