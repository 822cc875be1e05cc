using System.Globalization;

namespace FastIo.LoadGen;

/// <summary>Command-line options of <c>FastIo.LoadGen suite</c>.</summary>
internal sealed class SuiteOptions
{
    public bool Quick { get; private set; }

    public int Runs { get; private set; } = 3;

    public bool Pinned { get; private set; } = true;

    public string RepoRoot { get; private set; } = FindRepoRoot();

    public string? Output { get; private set; }

    public int BasePort { get; private set; } = 3400;

    public HashSet<string>? Only { get; private set; }

    public List<ServerKind> Servers { get; } = [ServerKind.FastIo, ServerKind.Node];

    /// <summary>Environment for the servers (experiments such as DOTNET_ThreadPool_UnfairSemaphoreSpinLimit=0).</summary>
    public Dictionary<string, string> ServerEnvironment { get; } = new(StringComparer.Ordinal);

    /// <summary>Extra arguments for <c>fastio bench</c> (e.g. <c>--shards 1</c>).</summary>
    public string FastIoArguments { get; private set; } = string.Empty;

    public static SuiteOptions Parse(ReadOnlySpan<string> args)
    {
        var options = new SuiteOptions();
        bool runsGiven = false;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    options.Quick = true;
                    break;
                case "--unpinned":
                    options.Pinned = false;
                    break;
                case "--runs":
                    options.Runs = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    runsGiven = true;
                    break;
                case "--repo":
                    options.RepoRoot = args[++i];
                    break;
                case "--out":
                    options.Output = args[++i];
                    break;
                case "--port":
                    options.BasePort = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    break;
                case "--only":
                    options.Only = new HashSet<string>(args[++i].Split(','), StringComparer.OrdinalIgnoreCase);
                    break;
                case "--server-env":
                    var pair = args[++i].Split('=', 2);
                    options.ServerEnvironment[pair[0]] = pair.Length > 1 ? pair[1] : string.Empty;
                    break;
                case "--fastio-args":
                    options.FastIoArguments = args[++i];
                    break;
                case "--servers":
                    options.Servers.Clear();
                    foreach (var name in args[++i].Split(','))
                    {
                        options.Servers.Add(Enum.Parse<ServerKind>(name, ignoreCase: true));
                    }

                    break;
                default:
                    throw new FormatException($"unknown option '{args[i]}'");
            }
        }

        if (options.Quick && !runsGiven)
        {
            options.Runs = 1;
        }

        return options;
    }

    internal static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FastIo.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
