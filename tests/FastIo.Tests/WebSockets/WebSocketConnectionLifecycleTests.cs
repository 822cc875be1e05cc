using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using FastIo.Transports.Hosting;
using FastIo.Transports.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace FastIo.Tests.WebSockets;

/// <summary>
/// Starting and ending a <see cref="WebSocketConnection"/>: its receive loop is a callback on the read (no async frame
/// per idle connection), and its end is reported to one callback (<see cref="WebSocketConnection.OnEnded"/>), which
/// the host uses to close the socket.
/// </summary>
[TestFixture]
public sealed class WebSocketConnectionLifecycleTests
{
    [Test]
    public async Task Starting_twice_throws()
    {
        await using var h = WebSocketHarness.Start();
        Assert.Throws<InvalidOperationException>(() => h.Connection.Start());
    }

    [Test]
    public async Task The_end_callback_runs_once_after_OnClosed_and_a_second_waiting_one_is_refused()
    {
        await using var h = new WebSocketHarness();
        var ended = new TaskCompletionSource<(int ClosedCount, object? State)>();
        var calls = 0;
        var state = new object();
        h.Connection.OnEnded(s =>
        {
            Interlocked.Increment(ref calls);
            ended.TrySetResult((h.Handler.ClosedCount, s));
        }, state);
        Assert.Throws<InvalidOperationException>(() => h.Connection.OnEnded(_ => { }, null), "one callback waits at a time");
        h.Connection.Start();

        await h.WriteAsync(ClientFrames.Text("hi"), ClientFrames.Close(1000));
        var (closedCount, seenState) = await ended.Task.WaitAsync(WebSocketHarness.Timeout);
        Assert.That(closedCount, Is.EqualTo(1), "OnClosed ran before the end callback");
        Assert.That(seenState, Is.SameAs(state));
        Assert.That((await h.Handler.NextMessageAsync()).Payload, Is.EqualTo("hi"u8.ToArray()));
        Assert.That(Volatile.Read(ref calls), Is.EqualTo(1));
    }

    [Test]
    public async Task An_end_callback_registered_after_the_end_runs_at_once()
    {
        await using var h = new WebSocketHarness();
        h.Connection.Start();
        await h.CompleteClientAsync(); // FIN without a Close frame
        await h.Handler.Closed;
        var deadline = DateTime.UtcNow + WebSocketHarness.Timeout;
        while (!h.Connection.HasEnded && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5);
        }

        Assert.That(h.Connection.HasEnded, Is.True);
        var ranAtOnce = false;
        h.Connection.OnEnded(_ => ranAtOnce = true, null);
        Assert.That(ranAtOnce, Is.True, "the callback ran inside OnEnded");
    }

    [Test]
    public async Task Over_a_socket_input_the_receive_loop_waits_by_callback_and_reads_every_frame()
    {
        var input = TestSocketInputs.Create();
        var toClient = new Pipe();
        var handler = new RecordingHandler();
        var connection = new WebSocketConnection(new TestDuplexPipe(input, toClient.Writer), handler, new WebSocketOptions(), NullLogger.Instance);
        var ended = new TaskCompletionSource();
        connection.OnEnded(_ => ended.SetResult(), null);
        connection.Start();

        // Frames split across receives, and two frames in one receive.
        var first = ClientFrames.Text("split across receives");
        TestSocketInputs.Receive(input, first.AsSpan(0, 3));
        TestSocketInputs.Receive(input, first.AsSpan(3));
        TestSocketInputs.Receive(input, ClientFrames.Concat(ClientFrames.Text("a"), ClientFrames.Text("b")));

        Assert.That(Encoding.UTF8.GetString((await handler.NextMessageAsync()).Payload), Is.EqualTo("split across receives"));
        Assert.That(Encoding.UTF8.GetString((await handler.NextMessageAsync()).Payload), Is.EqualTo("a"));
        Assert.That(Encoding.UTF8.GetString((await handler.NextMessageAsync()).Payload), Is.EqualTo("b"));
        Assert.That(input.HoldsBuffer, Is.False, "idle: everything received was consumed");

        TestSocketInputs.Receive(input, ClientFrames.Close(1000, "bye"));
        var closed = await handler.Closed;
        Assert.That(closed.Status, Is.EqualTo((ushort)1000));
        Assert.That(closed.Reason, Is.EqualTo("bye"));
        await ended.Task.WaitAsync(WebSocketHarness.Timeout);
    }
}
