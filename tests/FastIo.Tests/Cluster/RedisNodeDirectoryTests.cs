using FastIo.Adapters.Redis;
using FastIo.Tests.Redis;
using NUnit.Framework;

namespace FastIo.Tests.Cluster;

/// <summary>The Redis node directory on a real redis-server: claiming ids, lookups and their cache, leaving, expiry.</summary>
[TestFixture]
[NonParallelizable]
public class RedisNodeDirectoryTests
{
    private RedisServer _redis = null!;

    [OneTimeSetUp]
    public async Task StartRedisAsync() => _redis = await RedisServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopRedisAsync() => await _redis.DisposeAsync();

    [Test]
    public async Task NodesClaimDistinctIdsShareOneKeyAndFindEachOther()
    {
        await using var redis = await _redis.ConnectAsync();
        var options = new RedisNodeDirectoryOptions { Key = "t1" };
        await using var a = new RedisNodeDirectory(redis, options);
        await using var b = new RedisNodeDirectory(redis, options);
        await using var c = new RedisNodeDirectory(redis, options);
        await a.JoinAsync("10.0.0.1:3000", CancellationToken.None);
        await b.JoinAsync("10.0.0.2:3000", CancellationToken.None);
        await c.JoinAsync("10.0.0.3:3000", CancellationToken.None);

        Assert.Multiple(async () =>
        {
            Assert.That(new[] { a.NodeId, b.NodeId, c.NodeId }.Distinct().Count(), Is.EqualTo(3));
            Assert.That(a.ClusterKey.Length, Is.EqualTo(32));
            Assert.That(b.ClusterKey.ToArray(), Is.EqualTo(a.ClusterKey.ToArray()));
            Assert.That(c.ClusterKey.ToArray(), Is.EqualTo(a.ClusterKey.ToArray()));
            Assert.That(await a.ResolveAsync(b.NodeId, CancellationToken.None), Is.EqualTo("10.0.0.2:3000"));
            Assert.That(await b.ResolveAsync(c.NodeId, CancellationToken.None), Is.EqualTo("10.0.0.3:3000"));
            Assert.That(await c.ResolveAsync(c.NodeId, CancellationToken.None), Is.EqualTo("10.0.0.3:3000"), "itself");
            Assert.That(await a.ResolveAsync(0, CancellationToken.None), Is.Null, "no such node");
        });
    }

    [Test]
    public async Task AFixedIdThatIsTakenIsRefused()
    {
        await using var redis = await _redis.ConnectAsync();
        await using var a = new RedisNodeDirectory(redis, new RedisNodeDirectoryOptions { Key = "t2", NodeId = 42 });
        await a.JoinAsync("10.0.0.1:3000", CancellationToken.None);
        Assert.That(a.NodeId, Is.EqualTo(42));
        await using var b = new RedisNodeDirectory(redis, new RedisNodeDirectoryOptions { Key = "t2", NodeId = 42 });
        Assert.ThrowsAsync<InvalidOperationException>(async () => await b.JoinAsync("10.0.0.2:3000", CancellationToken.None));
    }

    [TestCase(0, null, TestName = "without a cache, a node that left resolves to nothing at once")]
    [TestCase(60_000, "10.0.0.2:3000", TestName = "within the cache duration, the last answer is reused")]
    public async Task ANodeThatLeftResolvesToNothingOnceTheCacheExpires(int cacheMilliseconds, string? expected)
    {
        await using var redis = await _redis.ConnectAsync();
        var options = new RedisNodeDirectoryOptions { Key = "t3-" + cacheMilliseconds, CacheDuration = TimeSpan.FromMilliseconds(cacheMilliseconds) };
        await using var a = new RedisNodeDirectory(redis, options);
        await using var b = new RedisNodeDirectory(redis, options);
        await a.JoinAsync("10.0.0.1:3000", CancellationToken.None);
        await b.JoinAsync("10.0.0.2:3000", CancellationToken.None);
        Assert.That(await a.ResolveAsync(b.NodeId, CancellationToken.None), Is.EqualTo("10.0.0.2:3000"));

        await b.LeaveAsync(CancellationToken.None);
        Assert.That(await a.ResolveAsync(b.NodeId, CancellationToken.None), Is.EqualTo(expected));
    }

    [Test]
    public async Task ALiveNodeIsKeptAliveAndACrashedOneExpires()
    {
        var options = new RedisNodeDirectoryOptions
        {
            Key = "t4",
            // Fifteen refreshes per TTL: a busy machine (the full suite, other builds) may delay several.
            EntryTtl = TimeSpan.FromMilliseconds(3000),
            RefreshInterval = TimeSpan.FromMilliseconds(200),
            CacheDuration = TimeSpan.Zero,
        };
        await using var redisA = await _redis.ConnectAsync();
        await using var a = new RedisNodeDirectory(redisA, options);
        await a.JoinAsync("10.0.0.1:3000", CancellationToken.None);
        var redisB = await _redis.ConnectAsync();
        var b = new RedisNodeDirectory(redisB, options);
        await b.JoinAsync("10.0.0.2:3000", CancellationToken.None);

        await Task.Delay(4000); // past the TTL: both refreshed
        Assert.That(await a.ResolveAsync(b.NodeId, CancellationToken.None), Is.EqualTo("10.0.0.2:3000"));

        // B "crashes": its connection is gone, so it can neither refresh nor leave.
        await redisB.CloseAsync(allowCommandsToComplete: false);
        await Task.Delay(4500);
        Assert.That(await a.ResolveAsync(b.NodeId, CancellationToken.None), Is.Null, "expired");
        await redisB.DisposeAsync();
    }
}
