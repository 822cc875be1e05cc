using FastIo.Adapters.Redis;
using FastIo.Tests.SocketIO;
using NUnit.Framework;
using StackExchange.Redis;

namespace FastIo.Tests.Redis;

/// <summary>socket.io-adapter's contract against the classic and sharded Redis adapters (a fresh key prefix per harness).</summary>
[NonParallelizable]
[TestFixture(false)]
[TestFixture(true)]
public sealed class RedisAdapterContractTests : AdapterContractTests
{
    private readonly bool _sharded;

    public RedisAdapterContractTests(bool sharded) => _sharded = sharded;

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
        var options = new RedisAdapterOptions { Key = "contract-" + Guid.NewGuid().ToString("N") };
        var harness = new SocketIOHarness(o => o.AdapterFactory = _sharded ? RedisAdapter.CreateShardedFactory(_connection, options) : RedisAdapter.CreateFactory(_connection, options));
        harness.Io.MainNamespace.Adapter.InitAsync().AsTask().GetAwaiter().GetResult();
        return harness;
    }
}
