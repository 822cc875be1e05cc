using System.Net;
using FastIo.Adapters.Redis;
using FastIo.Server;
using FastIo.SocketIO;
using FastIo.Transports.Hosting;
using StackExchange.Redis;

namespace FastIo.Tests.Redis;

/// <summary>An in-process FastIo server running the conformance application on the Redis adapter, with its own connection.</summary>
internal sealed class FastIoNode : IAsyncDisposable
{
    private FastIoNode(ConnectionMultiplexer redis, SocketIOServer io, FastIoHost host)
    {
        Redis = redis;
        Io = io;
        Host = host;
    }

    public ConnectionMultiplexer Redis { get; }

    public SocketIOServer Io { get; }

    public FastIoHost Host { get; }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)Host.ListeningEndpoints[0]).Port}";

    public static async Task<FastIoNode> StartAsync(RedisServer redisServer, Action<SocketIOServer>? configure = null, RedisAdapterOptions? adapterOptions = null, bool sharded = false)
    {
        var redis = await redisServer.ConnectAsync();
        var options = new SocketIOServerOptions { AdapterFactory = sharded ? RedisAdapter.CreateShardedFactory(redis, adapterOptions) : RedisAdapter.CreateFactory(redis, adapterOptions) };
        var io = new SocketIOServer(options);
        ConformanceApp.Configure(io);
        configure?.Invoke(io);
        await io.MainNamespace.Adapter.InitAsync();
        var hostOptions = new FastIoHostOptions();
        hostOptions.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        var host = new FastIoHost(hostOptions, io);
        await host.StartAsync();
        return new FastIoNode(redis, io, host);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Io.MainNamespace.Adapter.CloseAsync();
        Io.Dispose();
        await Redis.DisposeAsync();
    }
}
