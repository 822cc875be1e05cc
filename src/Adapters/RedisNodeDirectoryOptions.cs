namespace FastIo.Adapters.Redis;

/// <summary>Options of <see cref="RedisNodeDirectory"/>: where nodes register and how long entries and lookups live.</summary>
public sealed class RedisNodeDirectoryOptions
{
    private int? _nodeId;

    /// <summary>
    /// The key prefix: node <c>N</c> registers as <c>{Key}#node#N</c> and the cluster's signing key is
    /// <c>{Key}#cluster-key</c>. Use the adapter's <see cref="RedisAdapterOptions.Key"/> so one prefix names one cluster.
    /// </summary>
    public string Key { get; set; } = "socket.io";

    /// <summary>
    /// A fixed node id to claim (it must be free); null (the default) claims a free random id between 1 and 65535.
    /// </summary>
    public int? NodeId
    {
        get => _nodeId;
        set
        {
            if (value is { } id)
            {
                ArgumentOutOfRangeException.ThrowIfNegative(id);
                ArgumentOutOfRangeException.ThrowIfGreaterThan(id, EngineIO.EngineSessionId.MaxNode);
            }

            _nodeId = value;
        }
    }

    /// <summary>
    /// How long a node's entry lives without a refresh: a crashed node drops out of the directory this long after its
    /// last refresh, and its sessions' requests are then answered "Session ID unknown" without a connection attempt.
    /// </summary>
    public TimeSpan EntryTtl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often a node refreshes its entry (and re-reads the cluster key); well under <see cref="EntryTtl"/>.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a lookup (an address, or "no such node") is reused before Redis is asked again.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How many random ids are tried before joining fails (a cluster uses a handful of the 65535).</summary>
    public int MaxClaimAttempts { get; set; } = 32;
}
