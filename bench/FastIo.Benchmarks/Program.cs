using BenchmarkDotNet.Running;
using FastIo.Benchmarks;

// The micro-benchmarks (bench/README.md); the load scenarios live in bench/FastIo.LoadGen.
// Run: dotnet run -c Release --project bench/FastIo.Benchmarks -- --filter '*'
//      dotnet run -c Release --project bench/FastIo.Benchmarks -- --smoke   (each benchmark once, no timing)
if (args is ["--smoke"])
{
    return Smoke.Run();
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
