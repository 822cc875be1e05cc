using System.Diagnostics;
using System.Runtime.InteropServices;

namespace FastIo.LoadGen;

/// <summary>
/// Open-loop pacing at a fixed rate on a dedicated thread: short sleeps through usleep (hrtimer, ~60 µs accuracy)
/// instead of Thread.Sleep's 1 ms, so sends are spread evenly rather than in millisecond bursts.
/// </summary>
internal static partial class Pacer
{
    /// <summary>Calls <paramref name="send"/>(i) for i in [0, count) at <paramref name="perSecond"/>; returns when all are sent.</summary>
    public static Task RunAsync(long count, double perSecond, Action<long> send, CancellationToken cancellationToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                double ticksPerSend = Stopwatch.Frequency / perSecond;
                long start = Stopwatch.GetTimestamp();
                long sleepThreshold = Stopwatch.Frequency / 10_000; // 100 µs
                for (long i = 0; i < count && !cancellationToken.IsCancellationRequested; i++)
                {
                    long due = start + (long)(i * ticksPerSend);
                    long wait;
                    while ((wait = due - Stopwatch.GetTimestamp()) > 0)
                    {
                        if (wait > sleepThreshold)
                        {
                            _ = usleep(50);
                        }
                        else
                        {
                            Thread.Yield();
                        }
                    }

                    send(i);
                }

                done.TrySetResult();
            }
            catch (Exception e)
            {
                done.TrySetException(e);
            }
        })
        {
            IsBackground = true,
            Name = "pacer",
        };
        thread.Start();
        return done.Task;
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial int usleep(uint microseconds);
}
