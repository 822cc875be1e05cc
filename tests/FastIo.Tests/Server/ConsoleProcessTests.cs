using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using NUnit.Framework;

namespace FastIo.Tests.Server;

/// <summary>The real <c>fastio</c> binary: it serves, and SIGTERM stops it cleanly (close frames, exit code 0).</summary>
[TestFixture]
[NonParallelizable]
public class ConsoleProcessTests
{
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static Process Start(string arguments)
    {
        var dll = Path.Combine(TestContext.CurrentContext.TestDirectory, "fastio.dll");
        var start = new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        return Process.Start(start)!;
    }

    private static async Task WaitForHealthAsync(int port)
    {
        using var http = new HttpClient();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            try
            {
                if ((await http.GetAsync($"http://127.0.0.1:{port}/health")).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
            }

            await Task.Delay(100);
        }
    }

    [TestCase("serve")]
    [TestCase("conformance")]
    public async Task ServesSocketIOAndStopsCleanlyOnSigterm(string command)
    {
        var port = FreePort();
        using var process = Start($"{command} --port {port}");
        try
        {
            await WaitForHealthAsync(port);
            using var ws = new ClientWebSocket();
            await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"), CancellationToken.None);
            var buffer = new byte[4096];
            var open = await ws.ReceiveAsync(buffer, CancellationToken.None);
            Assert.That(Encoding.UTF8.GetString(buffer, 0, open.Count), Does.StartWith("0{\"sid\""));
            await ws.SendAsync("40"u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
            var connect = await ws.ReceiveAsync(buffer, CancellationToken.None);
            Assert.That(Encoding.UTF8.GetString(buffer, 0, connect.Count), Does.StartWith("40{\"sid\""));

            Assert.That(Kill(process.Id, "TERM"), Is.Zero);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            WebSocketReceiveResult result;
            do
            {
                result = await ws.ReceiveAsync(buffer, cts.Token);
            }
            while (result.MessageType != WebSocketMessageType.Close);

            Assert.That(ws.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure), "the session was closed, not cut");
            await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            await process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(15)).Token);
            Assert.That(process.ExitCode, Is.Zero);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Test]
    public async Task ConformanceServesRawEngineIOBesideSocketIO()
    {
        var port = FreePort();
        using var process = Start($"conformance --port {port}");
        try
        {
            await WaitForHealthAsync(port);
            using var http = new HttpClient();
            var body = await http.GetStringAsync($"http://127.0.0.1:{port}/engine.io/?EIO=4&transport=polling");
            Assert.That(body, Does.Contain("\"pingInterval\":300,\"pingTimeout\":200,\"maxPayload\":1000000"));
        }
        finally
        {
            process.Kill(entireProcessTree: true);
        }
    }

    [Test]
    public void UnknownCommandsExitWithUsage()
    {
        using var process = Start("frobnicate");
        Assert.That(process.WaitForExit(20_000), Is.True);
        Assert.That(process.ExitCode, Is.EqualTo(2));
        Assert.That(process.StandardError.ReadToEnd(), Does.Contain("usage:"));
    }

    private static int Kill(int pid, string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {pid}")!;
        kill.WaitForExit();
        return kill.ExitCode;
    }
}
