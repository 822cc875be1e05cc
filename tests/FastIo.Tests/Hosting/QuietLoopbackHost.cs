using System.Net;
using FastIo.EngineIO;
using FastIo.SocketIO;
using FastIo.Transports.Hosting;

namespace FastIo.Tests.Hosting;

/// <summary>A started <see cref="FastIoHost"/> on a free loopback port whose sessions never ping (nothing but the test's traffic).</summary>
internal static class QuietLoopbackHost
{
    public static async Task<FastIoHost> StartAsync(SocketIOServer io, int shards)
    {
        var options = new FastIoHostOptions
        {
            Shards = shards,
            Engine = new EngineOptions { PingInterval = TimeSpan.FromHours(1), PingTimeout = TimeSpan.FromHours(1) },
        };
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        var host = new FastIoHost(options, io);
        await host.StartAsync();
        return host;
    }
}
