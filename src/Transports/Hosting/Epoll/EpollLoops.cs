using System.Runtime.InteropServices;

namespace FastIo.Transports.Hosting.Epoll;

/// <summary>
/// The process's epoll loops, one per core (as the runtime's own socket engine has with inline completions), started
/// on first use and shared by every host; connections are spread over them in turn.
/// </summary>
internal static class EpollLoops
{
    private static readonly Lock s_lock = new();
    private static EpollLoop[]? s_loops;
    private static int s_next;

    /// <summary>Whether the epoll engine can run here: Linux on x86-64 or arm64 (the layouts <see cref="EpollNative"/> knows).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux()
        && RuntimeInformation.ProcessArchitecture is Architecture.X64 or Architecture.Arm64;

    /// <summary>The loop that takes the next connection.</summary>
    public static EpollLoop Next()
    {
        var loops = Loops;
        return loops[(int)((uint)Interlocked.Increment(ref s_next) % (uint)loops.Length)];
    }

    /// <summary>The first loop (listeners wait there).</summary>
    public static EpollLoop First => Loops[0];

    private static EpollLoop[] Loops
    {
        get
        {
            var loops = Volatile.Read(ref s_loops);
            return loops ?? Create();
        }
    }

    private static EpollLoop[] Create()
    {
        lock (s_lock)
        {
            if (s_loops is { } existing)
            {
                return existing;
            }

            var loops = new EpollLoop[Math.Max(1, Environment.ProcessorCount)];
            for (var i = 0; i < loops.Length; i++)
            {
                loops[i] = new EpollLoop(i);
            }

            Volatile.Write(ref s_loops, loops);
            return loops;
        }
    }
}
