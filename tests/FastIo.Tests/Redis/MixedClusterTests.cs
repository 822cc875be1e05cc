using FastIo.Adapters.Redis;
using FastIo.Tests.Interop;
using NUnit.Framework;

namespace FastIo.Tests.Redis;

/// <summary>
/// Two FastIo nodes and one Node.js socket.io 4.8 node with @socket.io/redis-adapter 8.3 on one real redis-server,
/// socket.io-client sockets spread over all three (tests/interop/redis-cluster-client.mjs checks every cross-node
/// operation, the Node emitter and the FastIo emitter).
/// </summary>
[TestFixture]
[NonParallelizable]
public class MixedClusterTests
{
    [Test]
    public async Task EveryCrossNodeOperationWorksInAMixedCluster()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var emitterConnection = await redis.ConnectAsync();
        var emitter = new RedisEmitter(emitterConnection);
        void AddEmitterHandler(FastIo.SocketIO.SocketIOServer io) =>
            io.OnConnection(socket => socket.On("dotnet_emitter", _ => emitter.Emit("from-dotnet-emitter", "hi", new byte[] { 4, 5 })));
        await using var a = await FastIoNode.StartAsync(redis, AddEmitterHandler);
        await using var b = await FastIoNode.StartAsync(redis, AddEmitterHandler);
        var nodePort = FreePort();
        await using var node = await NodeProcess.StartAsync("redis-node.mjs", nodePort.ToString(System.Globalization.CultureInfo.InvariantCulture), redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));

        // The Node node answers HTTP before its subscriptions are in place; wait for Redis to count all three.
        Assert.That(() => a.Io.MainNamespace.Adapter.ServerCountAsync().AsTask().GetAwaiter().GetResult(), Is.EqualTo(3).After(10_000, 50));
        var result = await NodeScript.RunAsync("redis-cluster-client.mjs", redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), a.Url, b.Url, $"http://127.0.0.1:{nodePort}");
        Assert.That(result.GetProperty("failures").ToString(), Is.EqualTo("[]"), node.Output);
        Assert.That(result.GetProperty("ok").GetBoolean(), Is.True);
    }

    [TestCase("static", ShardedSubscriptionMode.Static)]
    [TestCase("dynamic", ShardedSubscriptionMode.Dynamic)]
    [TestCase("dynamic-private", ShardedSubscriptionMode.DynamicPrivate)]
    public async Task EveryCrossNodeOperationWorksInAMixedShardedCluster(string nodeMode, ShardedSubscriptionMode mode)
    {
        await using var redis = await RedisServer.StartAsync();
        var options = new RedisAdapterOptions { SubscriptionMode = mode };
        await using var a = await FastIoNode.StartAsync(redis, adapterOptions: options, sharded: true);
        await using var b = await FastIoNode.StartAsync(redis, adapterOptions: options, sharded: true);
        var nodePort = FreePort();
        await using var node = await NodeProcess.StartAsync("redis-node.mjs", nodePort.ToString(System.Globalization.CultureInfo.InvariantCulture), redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "sharded-" + nodeMode);

        // The Node node answers HTTP before its subscriptions are in place; wait for Redis to count all three.
        Assert.That(() => a.Io.MainNamespace.Adapter.ServerCountAsync().AsTask().GetAwaiter().GetResult(), Is.EqualTo(3).After(10_000, 50));
        var result = await NodeScript.RunAsync("redis-cluster-client.mjs", redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), a.Url, b.Url, $"http://127.0.0.1:{nodePort}", "sharded");
        Assert.That(result.GetProperty("failures").ToString(), Is.EqualTo("[]"), node.Output);
        Assert.That(result.GetProperty("ok").GetBoolean(), Is.True);
    }

    [Test]
    public async Task RedisRestartDuringTrafficInAMixedCluster()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await FastIoNode.StartAsync(redis);
        var nodePort = FreePort();
        await using var node = await NodeProcess.StartAsync("redis-node.mjs", nodePort.ToString(System.Globalization.CultureInfo.InvariantCulture), redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var restart = redis.RestartAfterExitAsync(TimeSpan.FromSeconds(2), cancel.Token);
        var result = await NodeScript.RunAsync("redis-fault-client.mjs", redis.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), a.Url, $"http://127.0.0.1:{nodePort}");
        await restart;
        Assert.That(result.GetProperty("failures").ToString(), Is.EqualTo("[]"), node.Output);
        Assert.That(await a.Io.MainNamespace.Adapter.ServerCountAsync(), Is.EqualTo(2), "both servers resubscribed");
    }

    internal static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
