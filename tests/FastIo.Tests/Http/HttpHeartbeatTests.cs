using FastIo.Transports.Http;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace FastIo.Tests.Http;

/// <summary>
/// <see cref="HttpHeartbeat"/>'s lifetime: one timer per clock while connections come and go, stopped by the first
/// tick that finds none (a WebSocket connect is an HTTP connection for microseconds only, and a server taking connects
/// one after another built a new heartbeat, timer and Date line for each).
/// </summary>
[TestFixture]
public sealed class HttpHeartbeatTests
{
    [Test]
    public async Task Connections_one_after_another_share_one_timer_that_the_first_idle_tick_stops()
    {
        var time = new TimerCountingTimeProvider();
        var options = new HttpServerOptions { TimeProvider = time };
        var app = new TestApplication();
        for (var i = 0; i < 3; i++)
        {
            await ServeOneRequestAsync(app, options);
        }

        Assert.That(time.Created, Is.EqualTo(1), "a new timer for a connection that came after the last one ended");
        Assert.That(time.Disposed, Is.Zero, "the timer stopped at once when the last connection ended");

        time.Advance(HttpHeartbeat.Interval); // a tick with no connection
        Assert.That(time.Disposed, Is.EqualTo(1), "an idle server keeps ticking");

        await ServeOneRequestAsync(app, options);
        Assert.That(time.Created, Is.EqualTo(2), "the next connection starts a heartbeat again");
        time.Advance(HttpHeartbeat.Interval);
        Assert.That(time.Disposed, Is.EqualTo(2));
    }

    private static async Task ServeOneRequestAsync(TestApplication app, HttpServerOptions options)
    {
        await using var connection = TestConnection.Start(app, options);
        await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var response = await connection.ReadResponseAsync();
        Assert.That(response!.StatusLine, Does.StartWith("HTTP/1.1 200"));
        await connection.WaitClosedAsync(); // unregistered from the heartbeat
    }

    /// <summary>Counts the timers created and disposed.</summary>
    private sealed class TimerCountingTimeProvider : FakeTimeProvider
    {
        public int Created;
        public int Disposed;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            Interlocked.Increment(ref Created);
            return new CountedTimer(base.CreateTimer(callback, state, dueTime, period), this);
        }

        private sealed class CountedTimer(ITimer inner, TimerCountingTimeProvider owner) : ITimer
        {
            public bool Change(TimeSpan dueTime, TimeSpan period) => inner.Change(dueTime, period);

            public void Dispose()
            {
                Interlocked.Increment(ref owner.Disposed);
                inner.Dispose();
            }

            public ValueTask DisposeAsync()
            {
                Dispose();
                return ValueTask.CompletedTask;
            }
        }
    }
}
