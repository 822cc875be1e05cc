using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using FastIo.EngineIO;
using FastIo.Hosting;
using FastIo.Server;
using FastIo.SocketIO;
using FastIo.Transports.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using NUnit.Framework;

namespace FastIo.Tests.Hosting;

/// <summary><c>AddFastIo</c> inside a real generic host, driven by a raw WebSocket client over loopback.</summary>
[TestFixture]
public sealed class FastIoHostingTests
{
    private sealed record Greeting(string Text);

    private static HostApplicationBuilder NewBuilder(CapturingLoggerProvider? logs = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], EnvironmentName = "Test" });
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        return builder;
    }

    private static void OnLoopback(FastIoHostOptions options) => options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));

    private static int PortOf(IHost host) =>
        ((IPEndPoint)host.Services.GetRequiredService<FastIoHost>().ListeningEndpoints[0]).Port;

    [Test]
    public async Task Handlers_registered_through_the_builder_answer_a_real_client_and_stop_closes_it()
    {
        var logs = new CapturingLoggerProvider();
        var builder = NewBuilder(logs);
        builder.Services.AddSingleton(new Greeting("from-di"));
        var disconnected = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        builder.Services.AddFastIo(h =>
        {
            OnLoopback(h);
            h.ShutdownTimeout = TimeSpan.FromSeconds(10);
        }).Configure((sp, io) =>
        {
            var greeting = sp.GetRequiredService<Greeting>();
            io.OnConnection(socket =>
            {
                socket.On("ping", m =>
                {
                    m.Ack("pong");
                    socket.Emit("pong", greeting.Text);
                });
                socket.Disconnected += (_, reason) => disconnected.TrySetResult(reason);
            });
        });

        using var host = builder.Build();
        await host.StartAsync();
        var port = PortOf(host);
        Assert.That(port, Is.Not.Zero);

        await using var client = new RawSocketIOClient();
        var sid = await client.ConnectAsync(port);
        Assert.That(sid, Has.Length.EqualTo(20));

        await client.EmitAsync("ping", ackId: 1);
        var ack = await client.NextAckAsync(1);
        Assert.That(ack.GetRawText(), Is.EqualTo("""["pong"]"""));
        var pong = await client.NextEventAsync("pong");
        Assert.That(pong[0].GetString(), Is.EqualTo("from-di"));

        // Without an ack id the handler's Ack sends nothing: only the emitted event comes back.
        await client.EmitAsync("ping");
        await client.NextEventAsync("pong");
        Assert.That(client.Skipped, Is.Empty);

        // A graceful drain: the session is closed with its close frame and the client's echo ends it, long before
        // the shutdown timeout would cut it; every socket hears "server shutting down", as from socket.io's io.close().
        var stopping = Stopwatch.StartNew();
        await host.StopAsync();
        Assert.That(stopping.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
        await client.Closed.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(client.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure));
        var reason = await disconnected.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(reason, Is.EqualTo(DisconnectReasons.ServerShuttingDown));

        // The listener is gone: nothing answers on the port any more.
        using var probe = new TcpClient();
        var refused = Assert.ThrowsAsync<SocketException>(async () => await probe.ConnectAsync(IPAddress.Loopback, port));
        Assert.That(refused!.SocketErrorCode, Is.EqualTo(SocketError.ConnectionRefused));

        Assert.That(logs.Entries, Has.Some.Matches<(string Category, string Message)>(
            e => e.Category == typeof(FastIoHost).FullName && e.Message.StartsWith("Listening on", StringComparison.Ordinal)));
    }

    [Test]
    public async Task Options_go_through_the_options_pattern_and_reach_the_running_host()
    {
        var builder = NewBuilder();
        builder.Services.AddFastIo(
            h =>
            {
                OnLoopback(h);
                h.HealthPath = "/alive";
            },
            io => io.ConnectTimeout = TimeSpan.FromSeconds(2));
        builder.Services.Configure<FastIoHostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(1));

        using var host = builder.Build();
        var io = host.Services.GetRequiredService<SocketIOServer>();
        var fastIo = host.Services.GetRequiredService<FastIoHost>();
        var hostOptions = host.Services.GetRequiredService<IOptions<FastIoHostOptions>>().Value;
        Assert.Multiple(() =>
        {
            Assert.That(io.Options.ConnectTimeout, Is.EqualTo(TimeSpan.FromSeconds(2)));
            Assert.That(hostOptions.ShutdownTimeout, Is.EqualTo(TimeSpan.FromSeconds(1)));
            Assert.That(fastIo.Engine.Handler, Is.SameAs(io));
            Assert.That(fastIo.Engine.Path, Is.EqualTo("/socket.io/"));
        });

        await host.StartAsync();
        try
        {
            using var http = new HttpClient();
            var response = await http.GetAsync(new Uri($"http://127.0.0.1:{PortOf(host)}/alive"));
            Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Test]
    public async Task Callbacks_of_several_AddFastIo_calls_run_in_order_on_one_server_and_ConfigureHost_can_map_a_path()
    {
        var builder = NewBuilder();
        var order = new List<string>();
        // The polling session opened below never polls again, so the drain can only cut it: keep that short.
        builder.Services.AddFastIo(h =>
        {
            OnLoopback(h);
            h.ShutdownTimeout = TimeSpan.FromMilliseconds(200);
        }).Configure((_, _) => order.Add("first"));
        builder.Services.AddFastIo()
            .ConfigureHost((_, fastIo) =>
            {
                order.Add("host");
                fastIo.Map(new EngineOptions { Path = "/echo/" }, new EngineEchoHandler());
            })
            .Configure((_, _) => order.Add("second"));

        using var host = builder.Build();
        Assert.That(host.Services.GetServices<IHostedService>(), Has.Exactly(1).TypeOf<FastIoHostedService>());
        await host.StartAsync();
        try
        {
            Assert.That(order, Is.EqualTo(new[] { "first", "second", "host" }));
            using var http = new HttpClient();
            var open = await http.GetStringAsync(new Uri($"http://127.0.0.1:{PortOf(host)}/echo/?EIO=4&transport=polling"));
            Assert.That(open, Does.StartWith("0{\"sid\":"));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Test]
    public void Start_with_a_cancelled_token_binds_nothing_and_runs_no_callback()
    {
        var builder = NewBuilder();
        var configured = false;
        builder.Services.AddFastIo(OnLoopback).Configure((_, _) => configured = true);
        using var host = builder.Build();
        var service = host.Services.GetServices<IHostedService>().OfType<FastIoHostedService>().Single();

        Assert.ThrowsAsync<OperationCanceledException>(() => service.StartAsync(new CancellationToken(canceled: true)));
        Assert.Multiple(() =>
        {
            Assert.That(configured, Is.False);
            Assert.That(host.Services.GetRequiredService<FastIoHost>().ListeningEndpoints, Is.Empty);
        });
    }
}
