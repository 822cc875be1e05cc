using FastIo.Tests.Redis;

namespace FastIo.Tests.Deploy;

/// <summary>Three <c>fastio serve</c> nodes joined by one throwaway redis-server, as docs/deploy.md sets them up.</summary>
internal sealed class DeployCluster : IAsyncDisposable
{
    private DeployCluster(RedisServer redis, ServeNode[] nodes)
    {
        Redis = redis;
        Nodes = nodes;
    }

    public RedisServer Redis { get; }

    public IReadOnlyList<ServeNode> Nodes { get; }

    public int[] Ports => [Nodes[0].Port, Nodes[1].Port, Nodes[2].Port];

    /// <summary>Starts Redis and the three nodes (in parallel), each with <paramref name="serveArgs"/>; on a failure stops what did start.</summary>
    public static async Task<DeployCluster> StartAsync(params string[] serveArgs)
    {
        var redis = await RedisServer.StartAsync();
        var starting = new[]
        {
            ServeNode.StartAsync(redis.Configuration, serveArgs),
            ServeNode.StartAsync(redis.Configuration, serveArgs),
            ServeNode.StartAsync(redis.Configuration, serveArgs),
        };
        try
        {
            return new DeployCluster(redis, await Task.WhenAll(starting));
        }
        catch
        {
            foreach (var node in starting)
            {
                if (node.IsCompletedSuccessfully)
                {
                    await node.Result.DisposeAsync();
                }
            }

            await redis.DisposeAsync();
            throw;
        }
    }

    /// <summary>What the balancer and every node said, for a failure on a machine where it cannot be rerun.</summary>
    public async Task WriteOutputsAsync(Balancer balancer)
    {
        await NUnit.Framework.TestContext.Out.WriteLineAsync("balancer:\n" + balancer.Output);
        for (var i = 0; i < Nodes.Count; i++)
        {
            await NUnit.Framework.TestContext.Out.WriteLineAsync($"node {i} ({Nodes[i].Port}):\n{Nodes[i].Output}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Nodes)
        {
            await node.DisposeAsync();
        }

        await Redis.DisposeAsync();
    }
}
