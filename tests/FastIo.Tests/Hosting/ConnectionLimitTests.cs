using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastIo.SocketIO;
using Socket = System.Net.Sockets.Socket;
using FastIo.Transports.Hosting;
using NUnit.Framework;

namespace FastIo.Tests.Hosting;

/// <summary>
/// <see cref="FastIoHostOptions.MaxConnections"/>: at the limit the listeners stop accepting (connections wait in the
/// backlog) instead of running the process out of descriptors, which makes the runtime abort it.
/// </summary>
[TestFixture]
[CancelAfter(120_000)]
public sealed class ConnectionLimitTests
{
    private static readonly byte[] s_healthRequest = "GET /health HTTP/1.1\r\nHost: test\r\n\r\n"u8.ToArray();

    [TestCase(SocketEngine.Managed)]
    [TestCase(SocketEngine.Epoll)]
    public async Task At_the_limit_a_new_connection_waits_until_one_closes_and_stop_still_ends(SocketEngine engine)
    {
        if (engine == SocketEngine.Epoll && !Transports.Hosting.Epoll.EpollLoops.IsSupported)
        {
            Assert.Ignore("The epoll engine runs on Linux x86-64/arm64 only.");
        }

        var options = new FastIoHostOptions { MaxConnections = 2, SocketEngine = engine, ShutdownTimeout = TimeSpan.FromSeconds(1) };
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        using var io = new SocketIOServer(new SocketIOServerOptions());
        var host = new FastIoHost(options, io);
        await host.StartAsync();
        var endPoint = (IPEndPoint)host.ListeningEndpoints[0];
        var idle = new List<Socket>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                idle.Add(await ConnectAsync(endPoint));
                Assert.That(await HealthAsync(idle[i], TimeSpan.FromSeconds(5)), Is.True, "under the limit: served");
            }

            using var third = await ConnectAsync(endPoint); // completes: the kernel queues it in the backlog
            Assert.That(await HealthAsync(third, TimeSpan.FromMilliseconds(500)), Is.False, "at the limit: not accepted yet");

            idle[0].Dispose(); // one closes: the host accepts the waiting one
            Assert.That(await ReadResponseAsync(third, TimeSpan.FromSeconds(5)), Does.StartWith("HTTP/1.1 200"));

            using var fourth = await ConnectAsync(endPoint); // at the limit again (idle[1] and third)
            var stopping = Stopwatch.StartNew();
            await host.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.That(stopping.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "an accept loop waiting at the limit must not hold up StopAsync");
        }
        finally
        {
            foreach (var socket in idle)
            {
                socket.Dispose();
            }

            await host.DisposeAsync();
        }
    }

    // The real binary with 256 descriptors and 400 clients: without the limit it accepted until EMFILE, and the next
    // thread the runtime started (it needs a pipe) made it abort with "Out of memory".
    [Test]
    [NonParallelizable]
    public async Task The_service_outlives_more_clients_than_descriptors_and_serves_again_after()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("ulimit and /proc: Linux only.");
        }

        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var dll = Path.Combine(TestContext.CurrentContext.TestDirectory, "fastio.dll");
        var start = new ProcessStartInfo("bash", ["-c", $"ulimit -n 256 && exec dotnet \"{dll}\" bench --port {port} --host 127.0.0.1"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var clients = new List<Socket>();
        try
        {
            var endPoint = new IPEndPoint(IPAddress.Loopback, port);
            await WaitUntilServingAsync(endPoint);
            for (var i = 0; i < 400; i++)
            {
                var client = await ConnectAsync(endPoint);
                clients.Add(client);
                await client.SendAsync(s_healthRequest, SocketFlags.None); // keep-alive: each holds a descriptor
            }

            await Task.Delay(2000); // the server accepts what it may; the runtime starts threads meanwhile
            Assert.That(process.HasExited, Is.False, $"the process died: {output}");

            foreach (var client in clients)
            {
                client.Dispose();
            }

            clients.Clear();
            using var after = await ConnectAsync(endPoint);
            Assert.That(await HealthAsync(after, TimeSpan.FromSeconds(20)), Is.True, $"not serving after the clients left: {output}");
            Assert.That(process.HasExited, Is.False);
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }

            if (!process.HasExited)
            {
                process.Kill();
            }

            await process.WaitForExitAsync();
        }
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint endPoint)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(endPoint);
        return socket;
    }

    private static async Task WaitUntilServingAsync(IPEndPoint endPoint)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var socket = await ConnectAsync(endPoint);
                if (await HealthAsync(socket, TimeSpan.FromSeconds(5)))
                {
                    return;
                }
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(30))
            {
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Sends a health check and reads the answer: true when it came within <paramref name="timeout"/>.</summary>
    private static async Task<bool> HealthAsync(Socket socket, TimeSpan timeout)
    {
        await socket.SendAsync(s_healthRequest, SocketFlags.None);
        return (await ReadResponseAsync(socket, timeout)).StartsWith("HTTP/1.1 200", StringComparison.Ordinal);
    }

    /// <summary>What arrives within <paramref name="timeout"/> (empty when nothing does).</summary>
    private static async Task<string> ReadResponseAsync(Socket socket, TimeSpan timeout)
    {
        var buffer = new byte[4096];
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, cancel.Token);
            return Encoding.ASCII.GetString(buffer, 0, n);
        }
        catch (OperationCanceledException)
        {
            return string.Empty;
        }
    }
}
