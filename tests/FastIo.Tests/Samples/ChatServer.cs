using System.Net;
using FastIo.Hosting;
using FastIo.Samples.Chat;
using FastIo.Transports.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace FastIo.Tests.Samples;

/// <summary>The Chat sample's server, configured as the sample does, on a free loopback port of a generic host.</summary>
internal static class ChatServer
{
    /// <summary>Builds and starts the host; returns it with the port it listens on.</summary>
    public static async Task<(IHost Host, int Port)> StartAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], EnvironmentName = "Test" });
        builder.Logging.ClearProviders();
        builder.Services
            .AddFastIo(h =>
            {
                h.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
                h.ShutdownTimeout = TimeSpan.FromSeconds(1);
            })
            .Configure((_, io) => ChatApp.Configure(io));
        var host = builder.Build();
        await host.StartAsync();
        return (host, ((IPEndPoint)host.Services.GetRequiredService<FastIoHost>().ListeningEndpoints[0]).Port);
    }
}
