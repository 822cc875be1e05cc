using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace FastIo.Benchmarks;

/// <summary>
/// Runs every benchmark method once after its setup, with the first value of each parameter, so a broken
/// benchmark shows up in seconds rather than after a BenchmarkDotNet run.
/// </summary>
internal static class Smoke
{
    public static int Run()
    {
        int failures = 0;
        foreach (var type in typeof(Smoke).Assembly.GetTypes())
        {
            var benchmarks = type.GetMethods().Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null).ToArray();
            if (benchmarks.Length == 0)
            {
                continue;
            }

            try
            {
                var instance = Activator.CreateInstance(type)!;
                foreach (var property in type.GetProperties())
                {
                    if (property.GetCustomAttribute<ParamsAttribute>() is { } values)
                    {
                        property.SetValue(instance, values.Values[0]);
                    }
                }

                Invoke<GlobalSetupAttribute>(type, instance);
                foreach (var method in benchmarks)
                {
                    method.Invoke(instance, null);
                    Console.WriteLine($"ok {type.Name}.{method.Name}");
                }

                Invoke<GlobalCleanupAttribute>(type, instance);
            }
            catch (TargetInvocationException e)
            {
                failures++;
                Console.WriteLine($"FAILED {type.Name}: {e.InnerException}");
            }
        }

        return failures == 0 ? 0 : 1;
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
}
