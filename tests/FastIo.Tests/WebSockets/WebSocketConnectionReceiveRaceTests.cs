using System.IO.Pipelines;
using FastIo.Transports.Hosting;
using FastIo.Transports.Sharding;
using FastIo.Transports.WebSockets;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace FastIo.Tests.WebSockets;

/// <summary>
/// The callback-driven receive loop over a <see cref="SocketInput"/> under races and failures: reads, Abort and the
/// peer's end (clean or with an error) racing, with and without the shard hop, never run the loop twice at once and
/// end the connection exactly once; an exception that escapes the loop's handling still ends it (the old async loop
/// faulted its task, and the host closed the socket).
/// </summary>
[TestFixture]
public sealed class WebSocketConnectionReceiveRaceTests
{
    [TestCase(false)]
    [TestCase(true)]
    public async Task Appends_aborts_and_writer_end_race_without_double_run_or_lost_end(bool withShard)
    {
        var frame = ClientFrames.Text("x");
        for (int i = 0; i < 1500; i++)
        {
            var shard = withShard ? new ShardScheduler(0, NullLogger.Instance) : null;
            // With a shard, the input's scheduler is still the thread pool's: every completion hops to the shard.
            var input = TestSocketInputs.Create(PipeScheduler.ThreadPool);
            var toClient = new Pipe();
            int inside = 0, overlap = 0;
            var handler = new RecordingHandler
            {
                OnMessageCallback = (_, _) =>
                {
                    if (Interlocked.Increment(ref inside) != 1)
                    {
                        Interlocked.Increment(ref overlap);
                    }

                    Thread.SpinWait(50);
                    Interlocked.Decrement(ref inside);
                },
            };
            var connection = new WebSocketConnection(new TestDuplexPipe(input, toClient.Writer), handler, new WebSocketOptions(), NullLogger.Instance, shard: shard);
            int endedCalls = 0;
            var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            connection.OnEnded(_ => { Interlocked.Increment(ref endedCalls); ended.TrySetResult(); }, null);
            connection.Start();

            var appender = Task.Run(() =>
            {
                for (int k = 0; k < 20; k++)
                {
                    if (TestSocketInputs.Receive(input, frame) != SocketInput.AppendResult.Continue)
                    {
                        break;
                    }
                }

                if (i % 3 == 0)
                {
                    input.CompleteWriter(i % 2 == 0 ? new IOException("reset") : null);
                }
            });
            var aborter = Task.Run(() =>
            {
                Thread.SpinWait(i % 200);
                if (i % 3 != 0)
                {
                    connection.Abort();
                }
            });
            await Task.WhenAll(appender, aborter);
            if (i % 3 == 0 && i % 2 != 0)
            {
                connection.Abort(); // a clean FIN ends it anyway; make sure either way
            }

            await ended.Task.WaitAsync(TimeSpan.FromSeconds(10));
            Assert.That(handler.ClosedCount, Is.EqualTo(1), $"iteration {i}");
            Assert.That(Volatile.Read(ref overlap), Is.Zero, $"iteration {i}: handler ran on two threads at once");
            await Task.Delay(1);
            Assert.That(Volatile.Read(ref endedCalls), Is.EqualTo(1), $"iteration {i}");
        }
    }

    [Test]
    public async Task An_exception_escaping_the_receive_callback_still_ends_the_connection()
    {
        var shard = new ShardScheduler(0, NullLogger.Instance);
        var input = TestSocketInputs.Create(shard);
        var toClient = new Pipe();
        var handler = new RecordingHandler { OnMessageCallback = (_, _) => throw new InvalidOperationException("handler bug") };
        var connection = new WebSocketConnection(new TestDuplexPipe(input, toClient.Writer), handler, new WebSocketOptions(), new ThrowingLogger(), shard: shard);
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.OnEnded(_ => ended.TrySetResult(), null);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        shard.Schedule(_ => { connection.Start(); started.SetResult(); }, null);
        await started.Task.WaitAsync(TimeSpan.FromSeconds(5));

        TestSocketInputs.Receive(input, ClientFrames.Text("boom"));

        var finished = await Task.WhenAny(ended.Task, Task.Delay(TimeSpan.FromSeconds(3)));
        Assert.That(finished, Is.SameAs(ended.Task), "the connection never ended: the host would never close its socket");
    }

    [Test]
    public async Task A_throwing_OnClosed_under_a_throwing_logger_still_reports_the_end()
    {
        var input = TestSocketInputs.Create();
        var connection = new WebSocketConnection(new TestDuplexPipe(input, new Pipe().Writer), new ThrowingOnClosedHandler(), new WebSocketOptions(), new ThrowingLogger());
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        connection.OnEnded(_ => ended.TrySetResult(), null);
        connection.Start();

        TestSocketInputs.Receive(input, ClientFrames.Close(1000));

        var finished = await Task.WhenAny(ended.Task, Task.Delay(TimeSpan.FromSeconds(3)));
        Assert.That(finished, Is.SameAs(ended.Task), "the end was never reported: the host would never close its socket");
    }

    /// <summary>A logging provider that fails on every message (MEL's Logger rethrows a provider's exception).</summary>
    private sealed class ThrowingLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            throw new AggregateException("An error occurred while writing to logger(s).", new IOException("disk full"));
    }

    private sealed class ThrowingOnClosedHandler : IWebSocketHandler
    {
        public void OnMessage(WebSocketMessageType type, System.Buffers.ReadOnlySequence<byte> payload)
        {
        }

        public void OnClosed(ushort? closeStatus, string? reason, Exception? error) => throw new InvalidOperationException("handler bug");
    }
}
