using System.Runtime.InteropServices;

namespace FastIo.Transports.Hosting;

/// <summary>
/// The process's open-files limit, for the default of <see cref="FastIoHostOptions.MaxConnections"/>: a process that
/// runs out of descriptors cannot even start a thread (the runtime then aborts with "Out of memory"), so accepting
/// must stop short of the limit.
/// </summary>
internal static partial class DescriptorLimit
{
    private const int RLIMIT_NOFILE = 7; // Linux

    /// <summary>
    /// How many connections a host may hold open by default: the soft open-files limit minus the descriptors open now
    /// and a headroom (1/32 of the limit, at least 64) for the runtime's threads, Redis, forwarding and log files;
    /// null (no limit) where the limit cannot be read.
    /// </summary>
    public static unsafe int? DefaultMaxConnections()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        var limit = stackalloc ulong[2]; // struct rlimit { rlim_cur, rlim_max }
        if (GetRLimit(RLIMIT_NOFILE, limit) != 0 || limit[0] > int.MaxValue)
        {
            return null;
        }

        var soft = (int)limit[0];
        int open;
        try
        {
            open = Directory.GetFileSystemEntries("/proc/self/fd").Length;
        }
        catch (IOException)
        {
            open = 0;
        }

        return Math.Max(1, soft - open - Math.Max(64, soft / 32));
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static unsafe partial int GetRLimit(int resource, ulong* limit);
}
