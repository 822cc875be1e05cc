using System.Diagnostics;
using System.Globalization;

namespace FastIo.LoadGen;

/// <summary>
/// Starts the processes the suite measures (servers, redis-server) through <c>bash -c exec</c>, optionally pinned
/// with taskset, output to a log file; reads their CPU time from /proc and stops them.
/// </summary>
internal static class ChildProcess
{
    /// <summary>Kernel clock ticks per second of /proc/&lt;pid&gt;/stat times (USER_HZ, 100 on Linux).</summary>
    private const double TicksPerSecond = 100;

    /// <param name="core">The core to pin to with taskset, or null to leave the process unpinned.</param>
    /// <param name="environment">Changes to the inherited environment, applied before the start.</param>
    public static Process Start(string command, int? core, string log, Action<IDictionary<string, string?>>? environment = null)
    {
        // exec keeps one pid from bash to the process, so /proc/<pid> is the process itself.
        var taskset = core is { } c ? $"taskset -c {c.ToString(CultureInfo.InvariantCulture)} " : string.Empty;
        var psi = new ProcessStartInfo("bash", ["-c", $"exec {taskset}{command} >'{log}' 2>&1"])
        {
            UseShellExecute = false,
        };
        environment?.Invoke(psi.Environment);
        return Process.Start(psi) ?? throw new InvalidOperationException("could not start " + command);
    }

    /// <summary>CPU seconds (utime+stime, all threads, dead ones included) used so far by <paramref name="pid"/>.</summary>
    public static double CpuSeconds(int pid)
    {
        var (user, kernel) = CpuTimes(pid);
        return user + kernel;
    }

    /// <summary>
    /// CPU seconds used so far by <paramref name="pid"/> in user mode (utime) and in the kernel (stime: its system calls
    /// and the network stack work done on its behalf), all threads, dead ones included.
    /// </summary>
    public static (double User, double Kernel) CpuTimes(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');

        // Fields 14 and 15 of proc(5) are utime and stime; the split starts at field 3 (state).
        long utime = long.Parse(fields[11], CultureInfo.InvariantCulture);
        long stime = long.Parse(fields[12], CultureInfo.InvariantCulture);
        return (utime / TicksPerSecond, stime / TicksPerSecond);
    }

    public static void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        process.Dispose();
    }
}
