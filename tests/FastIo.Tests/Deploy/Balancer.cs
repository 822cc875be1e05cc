using FastIo.Tests.Redis;
using NUnit.Framework;

namespace FastIo.Tests.Deploy;

/// <summary>
/// nginx or HAProxy from the Debian packages, started by the test in the foreground with its own configuration in a
/// private folder on a free port (never the system service), in front of the cluster's nodes; its access log, on
/// stdout, tells which node served each request.
/// </summary>
internal sealed class Balancer : IAsyncDisposable
{
    private const string Missing = "scripts/test.sh installs it with apt-get (the Debian package)";
    private readonly ChildProcess _process;
    private readonly string _folder;

    private Balancer(ChildProcess process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"http://127.0.0.1:{Port}";

    public string Output => _process.Output;

    public static Task<Balancer> StartNginxAsync(IReadOnlyList<int> nodePorts, bool hashClientAddress) =>
        StartAsync("nginx", "nginx.conf", (folder, port) => NginxConfig.Create(folder, port, nodePorts, hashClientAddress),
            (folder, config) => ["-p", folder, "-c", config, "-g", "daemon off;"]);

    public static Task<Balancer> StartHAProxyAsync(IReadOnlyList<int> nodePorts, bool stickyCookie = true) =>
        StartAsync("haproxy", "haproxy.cfg", (_, port) => HAProxyConfig.Create(port, nodePorts, stickyCookie),
            (_, config) => ["-f", config, "-db"]);

    /// <summary>Every request logged so far.</summary>
    public List<BalancedRequest> Requests()
    {
        var requests = new List<BalancedRequest>();
        foreach (var line in _process.Lines())
        {
            if (BalancedRequest.Parse(line) is { } request)
            {
                requests.Add(request);
            }
        }

        return requests;
    }

    /// <summary>
    /// The node port that served each of <paramref name="sids"/>, waiting (a balancer logs a request just after
    /// answering it) until every sid has a logged request. Fails the test when one sid's requests reached two nodes:
    /// that is the stickiness failure docs/deploy.md is about.
    /// </summary>
    public async Task<Dictionary<string, int>> NodesOfAsync(IReadOnlyCollection<string> sids, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var nodes = new Dictionary<string, int>();
            foreach (var request in Requests())
            {
                if (request.Sid is { } sid && sids.Contains(sid) && request.Status is 200 or 101)
                {
                    if (nodes.TryGetValue(sid, out var seen) && seen != request.NodePort)
                    {
                        Assert.Fail($"requests of {sid} reached nodes {seen} and {request.NodePort}:\n{Output}");
                    }

                    nodes[sid] = request.NodePort;
                }
            }

            if (nodes.Count == sids.Count)
            {
                return nodes;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"only {nodes.Count} of {sids.Count} sessions have a logged request:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    public Task WaitForOutputAsync(string text, TimeSpan timeout) => _process.WaitForOutputAsync(text, timeout);

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    private static async Task<Balancer> StartAsync(string program, string configName, Func<string, int, string> config, Func<string, string, string[]> args)
    {
        var folder = Directory.CreateTempSubdirectory("fastio-" + program + "-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            // nginx's workers run as nobody when the test runs as root: they must reach their temp folders in here.
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        var port = MixedClusterTests.FreePort();
        var configPath = Path.Combine(folder, configName);
        await File.WriteAllTextAsync(configPath, config(folder, port));
        ChildProcess process;
        try
        {
            process = ChildProcess.Start(program, args(folder, configPath), Missing);
        }
        catch
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }

        var balancer = new Balancer(process, folder, port);
        try
        {
            await process.WaitForPortAsync(port, TimeSpan.FromSeconds(15));
        }
        catch
        {
            await balancer.DisposeAsync();
            throw;
        }

        return balancer;
    }
}
