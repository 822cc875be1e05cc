using FastIo.Transports.WebSockets;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace FastIo.Tests.WebSockets;

[TestFixture]
public sealed class WebSocketConnectionCloseTests
{
    [TestCase(1000, "bye")]
    [TestCase(1001, "")]
    [TestCase(1003, "no thanks")]
    [TestCase(1011, "")]
    [TestCase(3000, "app")]
    [TestCase(4999, "private €")]
    public async Task PeerCloseIsEchoedAndReported(int code, string reason)
    {
        await using var h = WebSocketHarness.Start();

        await h.WriteAsync(ClientFrames.Close((ushort)code, reason));

        List<ServerFrame> sent = await h.ReadToEndAsync();
        await h.WaitFinishedAsync();
        ClosedEvent closed = await h.Handler.Closed;
        Assert.Multiple(() =>
        {
            Assert.That(sent, Has.Count.EqualTo(1));
            Assert.That(sent[0].Opcode, Is.EqualTo(WebSocketOpcode.Close));
            Assert.That(sent[0].CloseCode, Is.EqualTo(code));
            Assert.That(closed.Status, Is.EqualTo(code));
            Assert.That(closed.Reason, Is.EqualTo(reason.Length == 0 ? null : reason));
            Assert.That(closed.Error, Is.Null);
            Assert.That(h.Handler.ClosedCount, Is.EqualTo(1));
            Assert.That(h.Connection.IsOpen, Is.False);
        });
    }

    [Test]
    public async Task PeerCloseWithoutCodeIsAnsweredWith1000AndReportedAs1005()
    {
        await using var h = WebSocketHarness.Start();

        await h.WriteAsync(ClientFrames.Build(WebSocketOpcode.Close, []));

        List<ServerFrame> sent = await h.ReadToEndAsync();
        ClosedEvent closed = await h.Handler.Closed;
        Assert.Multiple(() =>
        {
            Assert.That(sent, Has.Count.EqualTo(1));
            Assert.That(sent[0].CloseCode, Is.EqualTo(WebSocketCloseCodes.NormalClosure));
            Assert.That(closed.Status, Is.EqualTo(WebSocketCloseCodes.NoStatusReceived));
            Assert.That(closed.Error, Is.Null);
        });
    }

    [Test]
    public async Task ServerInitiatedCloseCompletesWhenPeerAnswers()
    {
        await using var h = WebSocketHarness.Start();

        h.Connection.Close(WebSocketCloseCodes.GoingAway, "server shutting down");
        ServerFrame close = await h.ReadRequiredFrameAsync();
        bool sendAfterClose = h.Connection.Send("late"u8, WebSocketMessageType.Text);
        bool openAfterClose = h.Connection.IsOpen;

        // Data the peer sent before seeing our Close is drained but not delivered; then it answers.
        await h.WriteAsync(ClientFrames.Text("in flight"), ClientFrames.Close(WebSocketCloseCodes.GoingAway, "ok"));

        List<ServerFrame> rest = await h.ReadToEndAsync();
        await h.WaitFinishedAsync();
        ClosedEvent closed = await h.Handler.Closed;
        Assert.Multiple(() =>
        {
            Assert.That(close.Opcode, Is.EqualTo(WebSocketOpcode.Close));
            Assert.That(close.CloseCode, Is.EqualTo(WebSocketCloseCodes.GoingAway));
            Assert.That(close.CloseReason, Is.EqualTo("server shutting down"));
            Assert.That(sendAfterClose, Is.False);
            Assert.That(openAfterClose, Is.False);
            Assert.That(rest, Is.Empty, "no second Close and no data after our Close");
            Assert.That(closed.Status, Is.EqualTo(WebSocketCloseCodes.GoingAway));
            Assert.That(closed.Reason, Is.EqualTo("ok"));
            Assert.That(closed.Error, Is.Null);
            Assert.That(h.Handler.TryGetMessage(out _), Is.False);
            Assert.That(h.Handler.ClosedCount, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task CloseTimeoutAbortsWhenPeerNeverAnswers()
    {
        var time = new FakeTimeProvider();
        await using var h = WebSocketHarness.Start(new WebSocketOptions { CloseTimeout = TimeSpan.FromSeconds(5) }, time);

        h.Connection.Close(WebSocketCloseCodes.NormalClosure, null);
        ServerFrame close = await h.ReadRequiredFrameAsync();

        time.Advance(TimeSpan.FromSeconds(4));
        await Task.Delay(20);
        bool finishedEarly = h.RunTask.IsCompleted;
        time.Advance(TimeSpan.FromSeconds(1));

        await h.WaitFinishedAsync();
        ClosedEvent closed = await h.Handler.Closed;
        Assert.Multiple(() =>
        {
            Assert.That(close.CloseCode, Is.EqualTo(WebSocketCloseCodes.NormalClosure));
            Assert.That(close.Payload, Has.Length.EqualTo(2));
            Assert.That(finishedEarly, Is.False);
            Assert.That(closed.Status, Is.Null);
            Assert.That(closed.Error, Is.InstanceOf<TimeoutException>());
        });
        Assert.That(await h.ReadFrameAsync(), Is.Null, "transport output completed");
    }

    [Test]
    public async Task CloseIsIdempotent()
    {
        await using var h = WebSocketHarness.Start();

        h.Connection.Close(WebSocketCloseCodes.NormalClosure, "one");
        h.Connection.Close(WebSocketCloseCodes.GoingAway, "two");
        await h.WriteAsync(ClientFrames.Close(WebSocketCloseCodes.NormalClosure));

        List<ServerFrame> sent = await h.ReadToEndAsync();
        Assert.That(sent, Has.Count.EqualTo(1));
        Assert.That(sent[0].CloseReason, Is.EqualTo("one"));
    }

    [Test]
    public async Task CloseRejectsReservedCodesAndLongReasons()
    {
        await using var h = WebSocketHarness.Start();

        Assert.Multiple(() =>
        {
            Assert.That(() => h.Connection.Close(1005, null), Throws.InstanceOf<ArgumentOutOfRangeException>());
            Assert.That(() => h.Connection.Close(1000, new string('x', 124)), Throws.InstanceOf<ArgumentException>());
            Assert.That(h.Connection.IsOpen, Is.True);
        });
    }

    [Test]
    public async Task AbortCompletesTheTransportWithoutHandshake()
    {
        await using var h = WebSocketHarness.Start();
        await h.WriteAsync(ClientFrames.Text("hello"));
        await h.Handler.NextMessageAsync();

        h.Connection.Abort();

        await h.WaitFinishedAsync();
        ClosedEvent closed = await h.Handler.Closed;
        Assert.Multiple(async () =>
        {
            Assert.That(await h.ReadFrameAsync(), Is.Null);
            Assert.That(closed.Status, Is.Null);
            Assert.That(closed.Error, Is.InstanceOf<OperationCanceledException>());
            Assert.That(h.Connection.IsOpen, Is.False);
            Assert.That(h.Connection.Send("x"u8, WebSocketMessageType.Text), Is.False);
        });
    }

    [Test]
    public async Task CancellationActsLikeAbortAndDoesNotThrow()
    {
        var h = new WebSocketHarness();
        await using (h)
        {
            using var cts = new CancellationTokenSource();
            Task run = h.Connection.RunAsync(cts.Token);

            await cts.CancelAsync();

            await run.WaitAsync(WebSocketHarness.Timeout);
            ClosedEvent closed = await h.Handler.Closed;
            Assert.That(closed.Error, Is.InstanceOf<OperationCanceledException>());
        }
    }

    [Test]
    public async Task PeerDisconnectWithoutCloseIsAbnormal()
    {
        await using var h = WebSocketHarness.Start();
        await h.WriteAsync(ClientFrames.Text("partial", fin: false));

        await h.CompleteClientAsync();

        await h.WaitFinishedAsync();
        ClosedEvent closed = await h.Handler.Closed;
        Assert.Multiple(async () =>
        {
            Assert.That(closed, Is.EqualTo(new ClosedEvent(null, null, null)));
            Assert.That(await h.ReadFrameAsync(), Is.Null, "no Close frame is sent to a peer that is gone");
            Assert.That(h.Handler.ClosedCount, Is.EqualTo(1));
        });
    }

    [Test]
    public async Task AbortAfterFinishIsHarmlessAndOnClosedRunsOnce()
    {
        await using var h = WebSocketHarness.Start();
        await h.WriteAsync(ClientFrames.Close(WebSocketCloseCodes.NormalClosure));
        await h.WaitFinishedAsync();

        h.Connection.Abort();
        h.Connection.Close(WebSocketCloseCodes.NormalClosure, null);

        Assert.That(h.Handler.ClosedCount, Is.EqualTo(1));
    }
}
