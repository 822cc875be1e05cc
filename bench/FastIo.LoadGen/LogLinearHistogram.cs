namespace FastIo.LoadGen;

/// <summary>
/// A log-linear histogram of nanosecond values (HdrHistogram's idea, written here): 64 linear sub-buckets per
/// power of two above 128 ns, so any recorded value is off by at most 1/64 (1.6 %). Recording is one
/// <see cref="Interlocked.Increment(ref long)"/>, safe from any thread; nothing allocates after construction.
/// </summary>
internal sealed class LogLinearHistogram
{
    private const int LinearLimit = 128;
    private const int SubBuckets = 64;
    private const int MaxShift = 40;
    private readonly long[] _counts = new long[LinearLimit + (MaxShift * SubBuckets)];
    private long _total;
    private long _max;

    public long Count => Volatile.Read(ref _total);

    public void Record(long nanoseconds)
    {
        if (nanoseconds < 0)
        {
            nanoseconds = 0;
        }

        Interlocked.Increment(ref _counts[IndexOf(nanoseconds)]);
        Interlocked.Increment(ref _total);
        long max;
        while (nanoseconds > (max = Volatile.Read(ref _max)) && Interlocked.CompareExchange(ref _max, nanoseconds, max) != max)
        {
        }
    }

    public void Reset()
    {
        Array.Clear(_counts);
        _total = 0;
        _max = 0;
    }

    /// <summary>The value at quantile <paramref name="q"/> (0..1), as the middle of its bucket, in nanoseconds.</summary>
    public long ValueAt(double q)
    {
        long total = Count;
        if (total == 0)
        {
            return 0;
        }

        if (q >= 1)
        {
            return Volatile.Read(ref _max);
        }

        long rank = Math.Max(1, (long)Math.Ceiling(q * total));
        long seen = 0;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += Volatile.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return Math.Min(MidpointOf(i), Volatile.Read(ref _max));
            }
        }

        return Volatile.Read(ref _max);
    }

    internal static int IndexOf(long value)
    {
        if (value < LinearLimit)
        {
            return (int)value;
        }

        int top = 63 - (int)long.LeadingZeroCount(value);
        int shift = top - 6;
        if (shift > MaxShift)
        {
            return LinearLimit + (MaxShift * SubBuckets) - 1;
        }

        int sub = (int)(value >> shift);
        return LinearLimit + ((shift - 1) * SubBuckets) + (sub - SubBuckets);
    }

    private static long MidpointOf(int index)
    {
        if (index < LinearLimit)
        {
            return index;
        }

        int shift = ((index - LinearLimit) / SubBuckets) + 1;
        long sub = SubBuckets + ((index - LinearLimit) % SubBuckets);
        return (sub << shift) + ((1L << shift) / 2);
    }
}
