using System.Collections.Immutable;

namespace FastIo.SocketIO;

/// <summary>
/// Lists of handlers and middleware that are read on every connect or message and written only when an application
/// registers one: readers take the current array without a lock or a copy (a snapshot that never changes), writers
/// publish a new array with a compare-and-swap, so registering concurrently with traffic is safe.
/// </summary>
internal static class CopyOnWrite
{
    /// <summary>Replaces <paramref name="array"/> with a copy that ends with <paramref name="item"/>.</summary>
    public static void Append<T>(ref T[] array, T item) =>
        ImmutableInterlocked.Update(ref array, static (items, added) => [.. items, added], item);
}
