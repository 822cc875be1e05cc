using BenchmarkDotNet.Running;

// The micro-benchmarks; the load generator and the Node baseline arrive with the benchmark issue.
// Run: dotnet run -c Release --project bench/FastIo.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
