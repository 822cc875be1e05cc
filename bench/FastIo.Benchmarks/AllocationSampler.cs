using System.Diagnostics.Tracing;
using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace FastIo.Benchmarks;

/// <summary>
/// <c>--alloc-types Class.Method [N]</c>: runs one benchmark N times (after its setup and a warm-up) under the
/// runtime's allocation sampling (an <c>AllocationTick</c> event about every 100 KB, carrying the type of the object
/// that crossed the mark) and prints the sampled types by share, with the exact bytes per call from
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/>'s process-wide sibling. Which types a path allocates, without
/// a profiler on the machine.
/// </summary>
internal static class AllocationSampler
{
    public static int Run(string name, int iterations)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        var type = typeof(AllocationSampler).Assembly.GetType("FastIo.Benchmarks." + name[..dot]) ?? throw new ArgumentException("no class " + name);
        var method = type.GetMethod(name[(dot + 1)..]) ?? throw new ArgumentException("no method " + name);
        var instance = Activator.CreateInstance(type)!;
        Invoke<GlobalSetupAttribute>(type, instance);
        for (var i = 0; i < Math.Min(iterations, 2_000); i++)
        {
            method.Invoke(instance, null);
        }

        using var listener = new TickListener();
        var before = GC.GetTotalAllocatedBytes(precise: true);
        for (var i = 0; i < iterations; i++)
        {
            method.Invoke(instance, null);
        }

        var perCall = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)iterations;
        listener.Dispose();
        Invoke<GlobalCleanupAttribute>(type, instance);
        Console.WriteLine($"{name}: {perCall:F0} B per call (all threads); sampled types:");
        var total = listener.Samples.Values.Sum();
        foreach (var (typeName, count) in listener.Samples.OrderByDescending(p => p.Value).Take(40))
        {
            Console.WriteLine($"  {100.0 * count / total,5:F1}%  ~{perCall * count / total,6:F0} B  {typeName}");
        }

        return 0;
    }

    private static void Invoke<TAttribute>(Type type, object instance)
        where TAttribute : Attribute
    {
        foreach (var method in type.GetMethods())
        {
            if (method.GetCustomAttribute<TAttribute>() is not null)
            {
                method.Invoke(instance, null);
            }
        }
    }

    private sealed class TickListener : EventListener
    {
        private readonly Lock _lock = new();

        public Dictionary<string, long> Samples { get; } = new(StringComparer.Ordinal);

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, (EventKeywords)0x1); // GC keyword: AllocationTick
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.Payload is null)
            {
                return;
            }

            var index = eventData.PayloadNames!.IndexOf("TypeName");
            var typeName = index >= 0 ? eventData.Payload[index] as string ?? "?" : "?";
            lock (_lock)
            {
                Samples[typeName] = Samples.GetValueOrDefault(typeName) + 1;
            }
        }
    }
}
