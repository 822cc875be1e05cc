using FastIo.LoadGen;

// The load generator and scenario runner of bench/ (see bench/README.md). Only ever targets loopback; every
// phase is bounded in count and time, so it always stops by itself.
const string Usage = """
    usage: FastIo.LoadGen hold --port 3000 --count 5000 --seconds 60
             (idle clients against a server you started, for heap dumps and profiles)
           FastIo.LoadGen drive --port 3000 --workload poll|echo|ws|upgrade --count 20000 [--pid SERVER_PID] [--linger S]
             (one scenario's workload against a server you started, for strace/perf: S6 polling echo, S3 echo at 10k/s, S2 connects)
           FastIo.LoadGen forward [--port 4600] [--runs 3] [--repo PATH]
             (what sticky-free forwarding costs: two fastio --forward nodes and a redis-server it starts itself)
           FastIo.LoadGen suite [--quick] [--runs 3] [--unpinned] [--only S1,S3] [--servers fastio,node]
                                [--port 3400] [--repo PATH] [--out table.md] [--server-env KEY=VALUE] [--fastio-args "--shards 1"]
    """;

if (args.Length == 7 && args[0] == "hold")
{
    return await Hold.RunAsync(args.AsSpan(1).ToArray()).ConfigureAwait(false);
}

if (args.Length > 0 && args[0] == "drive")
{
    return await Drive.RunAsync(args.AsSpan(1).ToArray()).ConfigureAwait(false);
}

if (args.Length > 0 && args[0] == "forward")
{
    return await ForwardingCost.RunAsync(args.AsSpan(1).ToArray()).ConfigureAwait(false);
}

if (args.Length == 0 || args[0] != "suite")
{
    Console.Error.WriteLine(Usage);
    return 2;
}

SuiteOptions options;
try
{
    options = SuiteOptions.Parse(args.AsSpan(1));
}
catch (Exception e) when (e is FormatException or IndexOutOfRangeException or ArgumentException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine(Usage);
    return 2;
}

ThreadPool.SetMinThreads(4, 4);
int code = await Suite.RunAsync(options).ConfigureAwait(false);

// Receive loops of dropped clients may still be unwinding; they hold nothing worth waiting for.
Environment.Exit(code);
return code;
