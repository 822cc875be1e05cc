using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using FastIo.EngineIO;
using FastIo.SocketIO;
using FastIo.Transports.Hosting;
using Microsoft.Extensions.Logging;

namespace FastIo.Server;

/// <summary>
/// <c>fastio serve</c> runs the service on its embedded defaults; <c>fastio conformance</c> runs the test
/// application of the official protocol suites (../shared/docs/conformance.md).
/// </summary>
internal static class CommandLine
{
    /// <summary>The runtime's switch for inline socket completions, on by default in <c>fastio</c> (Program.cs).</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private const string Usage = """
        usage:
          fastio serve       [--port 3000] [--host ADDRESS] [--allow-eio3] [--log-level Information] [BALANCER] [REDIS]
                             Socket.IO on /socket.io/: clients join/leave rooms and emit to rooms they are in
          fastio conformance [--port 3000] [--ping-interval 300] [--ping-timeout 200] [--allow-eio3] [--log-level Warning] [REDIS]
                             the official suites' application: Engine.IO echo on /engine.io/, Socket.IO on /socket.io/
          fastio bench       [--port 3000] [--host ADDRESS] [--log-level Warning]
                             the benchmark application (bench/): echo with ack, broadcast trigger, stats
        every command also takes --shards N: sessions spread over N shards (default: one per core), and
               --socket-engine auto|epoll|managed: FastIo's epoll loops (auto: on Linux) or the runtime's sockets,
               --max-connections N: stop accepting at N open connections (default: from the open-files limit)
        REDIS: --redis HOST:PORT (any StackExchange.Redis configuration string) [--redis-key socket.io]
               [--redis-mode classic|sharded] [--redis-subscription-mode dynamic|static|dynamic-private]
               [--redis-requests-timeout 5000]: a cluster with FastIo and Node (@socket.io/redis-adapter 8.3)
               servers; without --redis the in-memory adapter is used
        BALANCER (docs/deploy.md): [--cookie [NAME]] sets the session cookie (name io by default) on the handshake
               for sticky balancers, with [--cookie-same-site Lax|Strict|None] [--cookie-secure];
               [--cors-origin ORIGIN[,ORIGIN...]] allows those origins with credentials (cookies)
        STICKY-FREE (needs REDIS): --forward: requests for sessions of other nodes are forwarded to their owner, so
               the balancer may use round-robin; [--advertise HOST:PORT] where peers reach this node (default: the
               --host address, or 127.0.0.1, with --port) [--forward-timeout 60000] [--forward-connections 1024]
        """;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help")
        {
            Console.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }

        Dictionary<string, string?> flags;
        try
        {
            flags = ParseFlags(args.AsSpan(1));
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var options = new FastIoHostOptions();
        var ioOptions = new SocketIOServerOptions();
        Action<SocketIOServer> configure;
        EngineOptions? echoEngine = null;
        var defaultLogLevel = LogLevel.Information;
        switch (args[0])
        {
            case "serve":
                options.Engine.AllowEIO3 = flags.ContainsKey("allow-eio3");
                try
                {
                    options.Engine.Cookie = SessionCookie(flags);
                    options.Engine.Cors = CredentialedCors(flags);
                }
                catch (FormatException e)
                {
                    Console.Error.WriteLine(e.Message);
                    Console.Error.WriteLine(Usage);
                    return 2;
                }

                configure = ServeApp.Configure;
                break;
            case "bench":
                configure = BenchApp.Configure;
                defaultLogLevel = LogLevel.Warning;
                break;
            case "conformance":
                // The suites' timings (conformance.md): pingInterval 300, pingTimeout 200, connectTimeout 1000.
                options.Engine = ConformanceEngine(flags);
                ioOptions.ConnectTimeout = TimeSpan.FromMilliseconds(1000);
                configure = ConformanceApp.Configure;
                echoEngine = ConformanceEngine(flags);
                echoEngine.Path = "/engine.io/";
                defaultLogLevel = LogLevel.Warning;
                break;
            default:
                Console.Error.WriteLine($"unknown command '{args[0]}'");
                Console.Error.WriteLine(Usage);
                return 2;
        }

        if (flags.ContainsKey("shards"))
        {
            options.Shards = GetInt(flags, "shards", 1);
        }

        if (flags.TryGetValue("socket-engine", out var engine))
        {
            if (!Enum.TryParse<SocketEngine>(engine, ignoreCase: true, out var socketEngine) || !Enum.IsDefined(socketEngine))
            {
                Console.Error.WriteLine($"--socket-engine: expected auto, epoll or managed, got '{engine}'");
                return 2;
            }

            options.SocketEngine = socketEngine;
        }

        if (flags.ContainsKey("max-connections"))
        {
            options.MaxConnections = GetInt(flags, "max-connections", 1);
        }

        var port = GetInt(flags, "port", 3000);
        var host = flags.TryGetValue("host", out var h) && h is not null ? IPAddress.Parse(h) : IPAddress.IPv6Any;
        options.Endpoints.Add(new IPEndPoint(host, port));
        var logLevel = flags.TryGetValue("log-level", out var level) && level is not null
            ? Enum.Parse<LogLevel>(level, ignoreCase: true)
            : defaultLogLevel;

        using var loggerFactory = LoggerFactory.Create(b => b
            .SetMinimumLevel(logLevel)
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; }));
        var logger = loggerFactory.CreateLogger("fastio");
        await using var redis = await ConnectRedisAsync(flags, ioOptions).ConfigureAwait(false);
        await using var directory = CreateCluster(flags, redis, options, loggerFactory);
        await using var io = new SocketIOServer(ioOptions, loggerFactory); // disposed after the host: closes the adapters
        configure(io);
        await using var server = new FastIoHost(options, io, loggerFactory);
        if (echoEngine is not null)
        {
            server.Map(echoEngine, new EngineEchoHandler());
        }

        await server.StartAsync().ConfigureAwait(false);
        logger.LogInformation("fastio {Command} ready on port {Port}", args[0], port);

        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        await stop.Task.ConfigureAwait(false);
        logger.LogInformation("shutting down: closing {Count} sessions", server.Engine.SessionCount);
        await server.StopAsync().ConfigureAwait(false);
        return 0;
    }

    /// <summary>With <c>--redis</c>, connects (retrying in the background while Redis is away) and installs the adapter.</summary>
    private static async Task<StackExchange.Redis.ConnectionMultiplexer?> ConnectRedisAsync(Dictionary<string, string?> flags, SocketIOServerOptions ioOptions)
    {
        if (!flags.TryGetValue("redis", out var configuration) || configuration is null)
        {
            return null;
        }

        var mode = flags.TryGetValue("redis-mode", out var m) && m is not null ? m : "classic";
        if (mode is not ("classic" or "sharded"))
        {
            throw new FormatException($"--redis-mode is classic or sharded, not '{mode}'");
        }

        var subscription = flags.TryGetValue("redis-subscription-mode", out var sm) && sm is not null ? sm : "dynamic";
        var subscriptionMode = subscription switch
        {
            "static" => FastIo.Adapters.Redis.ShardedSubscriptionMode.Static,
            "dynamic" => FastIo.Adapters.Redis.ShardedSubscriptionMode.Dynamic,
            "dynamic-private" => FastIo.Adapters.Redis.ShardedSubscriptionMode.DynamicPrivate,
            _ => throw new FormatException($"--redis-subscription-mode is static, dynamic or dynamic-private, not '{subscription}'"),
        };
        var config = StackExchange.Redis.ConfigurationOptions.Parse(configuration);
        config.AbortOnConnectFail = false;
        var redis = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
        var adapterOptions = new FastIo.Adapters.Redis.RedisAdapterOptions
        {
            Key = flags.TryGetValue("redis-key", out var key) && key is not null ? key : "socket.io",
            RequestsTimeout = TimeSpan.FromMilliseconds(GetInt(flags, "redis-requests-timeout", 5000)),
            SubscriptionMode = subscriptionMode,
        };
        ioOptions.AdapterFactory = mode == "sharded"
            ? FastIo.Adapters.Redis.RedisAdapter.CreateShardedFactory(redis, adapterOptions)
            : FastIo.Adapters.Redis.RedisAdapter.CreateFactory(redis, adapterOptions);
        return redis;
    }

    /// <summary>
    /// <c>--cookie [NAME]</c>: the <c>io</c> cookie a sticky balancer keys on (HAProxy, Traefik in docs/deploy.md).
    /// A cookie that must cross sites needs <c>--cookie-same-site None --cookie-secure</c>: browsers drop
    /// <c>SameSite=None</c> without <c>Secure</c>.
    /// </summary>
    internal static SessionCookieOptions? SessionCookie(Dictionary<string, string?> flags)
    {
        if (!flags.TryGetValue("cookie", out var name))
        {
            if (flags.ContainsKey("cookie-same-site") || flags.ContainsKey("cookie-secure"))
            {
                throw new FormatException("--cookie-same-site and --cookie-secure need --cookie");
            }

            return null;
        }

        var cookie = new SessionCookieOptions { Secure = flags.ContainsKey("cookie-secure") };
        if (name is not null)
        {
            cookie.Name = name;
        }

        if (flags.TryGetValue("cookie-same-site", out var sameSite))
        {
            cookie.SameSite = sameSite switch
            {
                "Lax" or "Strict" or "None" => sameSite,
                _ => throw new FormatException($"--cookie-same-site is Lax, Strict or None, not '{sameSite}'"),
            };
        }

        return cookie;
    }

    /// <summary>
    /// <c>--cors-origin A,B</c>: CORS for those origins with <c>Access-Control-Allow-Credentials: true</c>, so a page
    /// on another origin can send the sticky cookie (<c>withCredentials: true</c> on the client). <c>*</c> is refused
    /// because browsers refuse credentials with it, and reflecting any origin would hand every site the cookie.
    /// </summary>
    internal static CorsOptions? CredentialedCors(Dictionary<string, string?> flags)
    {
        if (!flags.TryGetValue("cors-origin", out var value))
        {
            return null;
        }

        var origins = new List<string>();
        foreach (var origin in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (origin == "*")
            {
                throw new FormatException("--cors-origin needs the origins themselves: browsers refuse credentials with '*'");
            }

            origins.Add(origin);
        }

        return origins.Count == 0
            ? throw new FormatException("--cors-origin needs at least one origin, e.g. https://app.example.com")
            : new CorsOptions { Origins = origins, Credentials = true };
    }

    /// <summary>With <c>--forward</c>, registers the node in Redis and forwards requests for other nodes' sessions.</summary>
    private static FastIo.Adapters.Redis.RedisNodeDirectory? CreateCluster(
        Dictionary<string, string?> flags, StackExchange.Redis.ConnectionMultiplexer? redis, FastIoHostOptions options, ILoggerFactory loggerFactory)
    {
        if (!flags.ContainsKey("forward"))
        {
            return null;
        }

        if (redis is null)
        {
            throw new FormatException("--forward needs --redis: the nodes find each other there");
        }

        var directory = new FastIo.Adapters.Redis.RedisNodeDirectory(
            redis,
            new FastIo.Adapters.Redis.RedisNodeDirectoryOptions { Key = flags.TryGetValue("redis-key", out var key) && key is not null ? key : "socket.io" },
            loggerFactory.CreateLogger<FastIo.Adapters.Redis.RedisNodeDirectory>());
        options.Cluster = new FastIo.Transports.Cluster.ClusterOptions(directory)
        {
            AdvertisedAddress = flags.TryGetValue("advertise", out var advertise) ? advertise : null,
            ForwardingTimeout = TimeSpan.FromMilliseconds(GetInt(flags, "forward-timeout", 60_000)),
            MaxConnectionsPerPeer = GetInt(flags, "forward-connections", 1024),
        };
        return directory;
    }

    private static EngineOptions ConformanceEngine(Dictionary<string, string?> flags) => new()
    {
        PingInterval = TimeSpan.FromMilliseconds(GetInt(flags, "ping-interval", 300)),
        PingTimeout = TimeSpan.FromMilliseconds(GetInt(flags, "ping-timeout", 200)),
        MaxHttpBufferSize = 1_000_000,
        Cors = new CorsOptions(),
        AllowEIO3 = flags.ContainsKey("allow-eio3"),
    };

    internal static Dictionary<string, string?> ParseFlags(ReadOnlySpan<string> args)
    {
        var flags = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new FormatException($"unexpected argument '{arg}'");
            }

            var name = arg[2..];
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                flags[name[..eq]] = name[(eq + 1)..];
            }
            else if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                flags[name] = args[++i];
            }
            else
            {
                flags[name] = null;
            }
        }

        return flags;
    }

    private static int GetInt(Dictionary<string, string?> flags, string name, int fallback)
    {
        if (!flags.TryGetValue(name, out var value) || value is null)
        {
            return fallback;
        }

        return int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : throw new FormatException($"--{name} needs a whole number, not '{value}'");
    }
}
