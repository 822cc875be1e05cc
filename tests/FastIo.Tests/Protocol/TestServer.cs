using System.Net;
using System.Net.Sockets;
using System.Text;
using FastIo.EngineIO;
using FastIo.Server;
using FastIo.Transports.Hosting;

namespace FastIo.Tests.Protocol;

/// <summary>An in-process FastIo echo server on a free loopback port, with the conformance timings.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private TestServer(FastIoHost host)
    {
        Host = host;
        Port = ((IPEndPoint)host.ListeningEndpoints[0]).Port;
    }

    public FastIoHost Host { get; }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public static async Task<TestServer> StartAsync(Action<FastIoHostOptions>? configure = null)
    {
        var options = new FastIoHostOptions
        {
            Engine =
            {
                PingInterval = TimeSpan.FromMilliseconds(300),
                PingTimeout = TimeSpan.FromMilliseconds(200),
                Cors = new CorsOptions(),
            },
        };
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        configure?.Invoke(options);
        var host = new FastIoHost(options, new EngineEchoHandler());
        await host.StartAsync();
        return new TestServer(host);
    }

    /// <summary>Sends raw bytes on a new connection and returns everything the server sent until it closed or went quiet.</summary>
    public async Task<string> RawAsync(byte[] request, TimeSpan? quiet = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, Port);
        var stream = client.GetStream();
        await stream.WriteAsync(request);
        var received = new MemoryStream();
        var buffer = new byte[65536];
        while (true)
        {
            using var cts = new CancellationTokenSource(quiet ?? TimeSpan.FromSeconds(2));
            int n;
            try
            {
                n = await stream.ReadAsync(buffer, cts.Token);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (IOException)
            {
                break;
            }

            if (n == 0)
            {
                break;
            }

            received.Write(buffer, 0, n);
        }

        return Encoding.Latin1.GetString(received.ToArray());
    }

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
