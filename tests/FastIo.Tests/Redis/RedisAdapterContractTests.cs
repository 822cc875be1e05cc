using FastIo.Adapters.Redis;
using FastIo.Tests.SocketIO;
using NUnit.Framework;
using StackExchange.Redis;

namespace FastIo.Tests.Redis;

/// <summary>socket.io-adapter's contract against the classic Redis adapter (a fresh key prefix per harness).</summary>
[NonParallelizable]
public sealed class RedisAdapterContractTests : AdapterContractTests
{
    private RedisServer _redis = null!;
    private ConnectionMultiplexer _connection = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _redis = await RedisServer.StartAsync();
        _connection = await _redis.ConnectAsync();
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        await _connection.DisposeAsync();
        await _redis.DisposeAsync();
    }

    protected override SocketIOHarness CreateHarness()
    {
        var harness = new SocketIOHarness(o => o.AdapterFactory = RedisAdapter.CreateFactory(_connection, new RedisAdapterOptions { Key = "contract-" + Guid.NewGuid().ToString("N") }));
        harness.Io.MainNamespace.Adapter.InitAsync().AsTask().GetAwaiter().GetResult();
        return harness;
    }
}
