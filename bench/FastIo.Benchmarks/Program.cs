using BenchmarkDotNet.Running;
using FastIo.Benchmarks;

// The micro-benchmarks (bench/README.md); the load scenarios live in bench/FastIo.LoadGen.
// Run: dotnet run -c Release --project bench/FastIo.Benchmarks -- --filter '*'
//      dotnet run -c Release --project bench/FastIo.Benchmarks -- --smoke   (each benchmark once, no timing)
//      dotnet run -c Release --project bench/FastIo.Benchmarks -- --alloc-types HttpPathBenchmarks.PollingEchoAck [N]
//                                                                            (the sampled types of what one allocates)
if (args is ["--smoke"])
{
    return Smoke.Run();
}

if (args is ["--alloc-types", var benchmark, ..])
{
    return AllocationSampler.Run(benchmark, args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 200_000);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
