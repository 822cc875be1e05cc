using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using FastIo.Cluster;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace FastIo.Adapters.Redis;

/// <summary>
/// An <see cref="INodeDirectory"/> in Redis: each node holds a key <c>{Key}#node#{id}</c> whose value is its address,
/// claimed with <c>SET … NX PX</c> and refreshed well within its TTL, so a node that crashes drops out by itself; the
/// cluster's signing key is a random value that the first node creates with <c>SET … NX</c>.
/// </summary>
/// <remarks>
/// The entry's value is <c>"{address} {token}"</c>, the token being random per instance: refreshing and leaving touch the
/// entry only while it is still this instance's (a Lua compare-and-act), never one a successor claimed after it expired.
/// </remarks>
public sealed class RedisNodeDirectory : INodeDirectory, IAsyncDisposable
{
    // 1 refreshed; 2 the entry had expired (e.g. Redis restarted empty) and was claimed again; 0 another node holds it.
    private const string RefreshScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
        if redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2], 'NX') then return 2 end
        return 0
        """;

    private const string LeaveScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    private const int ClusterKeyBytes = 32;

    private readonly IConnectionMultiplexer _redis;
    private readonly RedisNodeDirectoryOptions _options;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<int, Resolution> _cache = new();
    private readonly string _token = Convert.ToHexString(RandomNumberGenerator.GetBytes(8));
    private readonly CancellationTokenSource _stop = new();
    private volatile byte[] _clusterKey = [];
    private string? _entryValue;
    private string? _address;
    private Task? _refreshLoop;
    private int _nodeId = -1;

    /// <summary>Creates the directory on this node's multiplexer (the adapter's is fine: it only sends commands).</summary>
    public RedisNodeDirectory(IConnectionMultiplexer redis, RedisNodeDirectoryOptions? options = null, ILogger<RedisNodeDirectory>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        _redis = redis;
        _options = options ?? new RedisNodeDirectoryOptions();
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <inheritdoc/>
    public int NodeId => _nodeId >= 0 ? _nodeId : throw new InvalidOperationException("The node has not joined the directory.");

    /// <inheritdoc/>
    public ReadOnlyMemory<byte> ClusterKey => _clusterKey;

    /// <inheritdoc/>
    public async ValueTask JoinAsync(string advertisedAddress, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(advertisedAddress);
        if (advertisedAddress.Contains(' ', StringComparison.Ordinal))
        {
            throw new ArgumentException("An address has no spaces.", nameof(advertisedAddress));
        }

        if (_nodeId >= 0)
        {
            throw new InvalidOperationException("The node has already joined the directory.");
        }

        var db = _redis.GetDatabase();
        _clusterKey = await LoadClusterKeyAsync(db).WaitAsync(cancellationToken).ConfigureAwait(false);
        var value = advertisedAddress + " " + _token;
        var attempts = _options.NodeId is null ? Math.Max(1, _options.MaxClaimAttempts) : 1;
        for (var i = 0; i < attempts; i++)
        {
            var id = _options.NodeId ?? RandomNumberGenerator.GetInt32(1, EngineIO.EngineSessionId.MaxNode + 1);
            var claimed = await db.StringSetAsync(EntryKey(id), value, _options.EntryTtl, When.NotExists).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (claimed)
            {
                _entryValue = value;
                _address = advertisedAddress;
                _nodeId = id;
                Log.NodeJoined(_logger, id, advertisedAddress);
                _refreshLoop = RefreshLoopAsync(id);
                return;
            }
        }

        throw new InvalidOperationException(_options.NodeId is { } fixedId
            ? $"Node id {fixedId} is held by another live node."
            : $"No free node id found in {attempts} attempts.");
    }

    /// <inheritdoc/>
    public ValueTask<string?> ResolveAsync(int nodeId, CancellationToken cancellationToken)
    {
        if (nodeId == _nodeId)
        {
            return ValueTask.FromResult(_address);
        }

        // The hot path: a cached answer, no allocation, no Redis round trip.
        if (_cache.TryGetValue(nodeId, out var cached) && Environment.TickCount64 < cached.ExpiresAt)
        {
            return ValueTask.FromResult(cached.Address);
        }

        return ResolveFromRedisAsync(nodeId, cancellationToken);
    }

    /// <inheritdoc/>
    public async ValueTask LeaveAsync(CancellationToken cancellationToken)
    {
        var id = _nodeId;
        if (id < 0 || _stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        if (_refreshLoop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }

        try
        {
            await _redis.GetDatabase().ScriptEvaluateAsync(LeaveScript, [EntryKey(id)], [_entryValue!])
                .WaitAsync(cancellationToken).ConfigureAwait(false);
            Log.NodeLeft(_logger, id);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The entry expires by itself.
            Log.LeaveFailed(_logger, e, id);
        }
    }

    /// <summary>Leaves the directory (if joined) and stops refreshing.</summary>
    public async ValueTask DisposeAsync()
    {
        await LeaveAsync(CancellationToken.None).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async ValueTask<string?> ResolveFromRedisAsync(int nodeId, CancellationToken cancellationToken)
    {
        string? address = null;
        try
        {
            var value = await _redis.GetDatabase().StringGetAsync(EntryKey(nodeId)).WaitAsync(cancellationToken).ConfigureAwait(false);
            if (value.HasValue)
            {
                var text = value.ToString();
                var space = text.IndexOf(' ', StringComparison.Ordinal);
                address = space < 0 ? text : text[..space];
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Redis away: a cached address is better than none (a dead one fails fast at connect); otherwise unknown.
            Log.ResolveFailed(_logger, e, nodeId);
            return _cache.TryGetValue(nodeId, out var stale) ? stale.Address : null;
        }

        _cache[nodeId] = new Resolution(address, Environment.TickCount64 + (long)_options.CacheDuration.TotalMilliseconds);
        return address;
    }

    private async Task<byte[]> LoadClusterKeyAsync(IDatabase db)
    {
        var key = (RedisKey)(_options.Key + "#cluster-key");
        await db.StringSetAsync(key, Convert.ToBase64String(RandomNumberGenerator.GetBytes(ClusterKeyBytes)), when: When.NotExists).ConfigureAwait(false);
        var value = await db.StringGetAsync(key).ConfigureAwait(false);
        return value.HasValue ? Convert.FromBase64String(value.ToString()) : throw new InvalidOperationException("The cluster key vanished while it was read.");
    }

    private async Task RefreshLoopAsync(int id)
    {
        using var timer = new PeriodicTimer(_options.RefreshInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                try
                {
                    var db = _redis.GetDatabase();
                    var ttl = ((long)_options.EntryTtl.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
                    var result = (int)await db.ScriptEvaluateAsync(RefreshScript, [EntryKey(id)], [_entryValue!, ttl]).ConfigureAwait(false);
                    if (result == 0)
                    {
                        // Our entry expired (a long Redis outage) and another node claimed the id: both now write the
                        // same id into sids. Nothing safe can be done for the sessions already created; say it loudly.
                        Log.NodeIdLost(_logger, id);
                    }
                    else if (result == 2)
                    {
                        Log.NodeReclaimed(_logger, id);
                    }

                    // Re-read the key too: after Redis lost it (restart without persistence) the nodes converge on a new one.
                    _clusterKey = await LoadClusterKeyAsync(db).ConfigureAwait(false);
                }
                catch (Exception e) when (e is RedisException or TimeoutException)
                {
                    Log.RefreshFailed(_logger, e, id);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // left
        }
    }

    private RedisKey EntryKey(int id) => _options.Key + "#node#" + id.ToString(CultureInfo.InvariantCulture);

    private sealed record Resolution(string? Address, long ExpiresAt);
}
