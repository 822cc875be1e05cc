using System.Net;
using FastIo.Adapters.Redis;
using FastIo.Server;
using FastIo.SocketIO;
using FastIo.Tests.Redis;
using FastIo.Transports.Cluster;
using FastIo.Transports.Hosting;
using StackExchange.Redis;

namespace FastIo.Tests.Cluster;

/// <summary>
/// An in-process node of a sticky-free cluster: the conformance application on the Redis adapter, registered in the
/// Redis node directory and forwarding requests for other nodes' sessions.
/// </summary>
internal sealed class ClusterNode : IAsyncDisposable
{
    private bool _stopped;

    private ClusterNode(ConnectionMultiplexer redis, RedisNodeDirectory directory, SocketIOServer io, FastIoHost host)
    {
        Redis = redis;
        Directory = directory;
        Io = io;
        Host = host;
    }

    public ConnectionMultiplexer Redis { get; }

    public RedisNodeDirectory Directory { get; }

    public SocketIOServer Io { get; }

    public FastIoHost Host { get; }

    public int Port => ((IPEndPoint)Host.ListeningEndpoints[0]).Port;

    public string Url => $"http://127.0.0.1:{Port}";

    public static async Task<ClusterNode> StartAsync(RedisServer redisServer, RedisNodeDirectoryOptions? directoryOptions = null)
    {
        var redis = await redisServer.ConnectAsync();
        var io = new SocketIOServer(new SocketIOServerOptions { AdapterFactory = RedisAdapter.CreateFactory(redis) });
        ConformanceApp.Configure(io);
        await io.MainNamespace.Adapter.InitAsync();
        var directory = new RedisNodeDirectory(redis, directoryOptions);
        var options = new FastIoHostOptions { Cluster = new ClusterOptions(directory), ShutdownTimeout = TimeSpan.FromSeconds(2) };
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        var host = new FastIoHost(options, io);
        await host.StartAsync();
        return new ClusterNode(redis, directory, io, host);
    }

    /// <summary>Stops the node (its sessions get their close packets, it leaves the directory); idempotent.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await Host.DisposeAsync();
        await Io.MainNamespace.Adapter.CloseAsync();
        Io.Dispose();
        await Directory.DisposeAsync();
        await Redis.DisposeAsync();
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}
