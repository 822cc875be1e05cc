using FastIo.Transports.WebSockets;
using NUnit.Framework;

namespace FastIo.Tests.WebSockets;

[TestFixture]
public sealed class WebSocketConnectionErrorTests
{
    public static IEnumerable<TestCaseData> ProtocolViolations()
    {
        yield return new TestCaseData((object)new[] { ClientFrames.Build(WebSocketOpcode.Text, "a"u8, masked: false) }).SetName("Unmasked frame closes 1002");
        yield return new TestCaseData((object)new[] { ClientFrames.Build(WebSocketOpcode.Text, "a"u8, rsv: 4) }).SetName("RSV bit closes 1002");
        yield return new TestCaseData((object)new[] { ClientFrames.Build((WebSocketOpcode)5, "a"u8) }).SetName("Unknown opcode closes 1002");
        yield return new TestCaseData((object)new[] { ClientFrames.Build(WebSocketOpcode.Ping, new byte[126]) }).SetName("Control frame over 125 closes 1002");
        yield return new TestCaseData((object)new[] { ClientFrames.Build(WebSocketOpcode.Ping, "a"u8, fin: false) }).SetName("Fragmented ping closes 1002");
        yield return new TestCaseData((object)new[] { ClientFrames.Build(WebSocketOpcode.Continuation, "a"u8) }).SetName("Continuation without start closes 1002");
        yield return new TestCaseData((object)new[] { ClientFrames.Text("a", fin: false), ClientFrames.Text("b") }).SetName("New data frame during fragmented message closes 1002");
        yield return new TestCaseData((object)new[] { ClientFrames.Build(WebSocketOpcode.Binary, [], encoding: ClientFrames.LengthEncoding.SixtyFour, rawLength: ulong.MaxValue) }).SetName("64-bit length with MSB closes 1002");
        yield return new TestCaseData((object)new[] { ClientFrames.Build(WebSocketOpcode.Close, [0x03]) }).SetName("Close payload of one byte closes 1002");
    }

    [TestCaseSource(nameof(ProtocolViolations))]
    public async Task ProtocolViolationFailsTheConnectionWith1002(byte[][] frames)
    {
        await AssertFailsWith(WebSocketCloseCodes.ProtocolError, new WebSocketOptions(), frames);
    }

    [TestCase(0)]
    [TestCase(999)]
    [TestCase(1004)]
    [TestCase(1005)]
    [TestCase(1006)]
    [TestCase(1012)]
    [TestCase(1015)]
    [TestCase(1016)]
    [TestCase(2000)]
    [TestCase(2999)]
    [TestCase(5000)]
    [TestCase(65535)]
    public async Task InvalidCloseCodeFailsWith1002(int code)
    {
        await AssertFailsWith(WebSocketCloseCodes.ProtocolError, new WebSocketOptions(), ClientFrames.Close((ushort)code));
    }

    [Test]
    public async Task InvalidUtf8TextFailsWith1007()
    {
        await AssertFailsWith(WebSocketCloseCodes.InvalidPayloadData, new WebSocketOptions(), ClientFrames.Build(WebSocketOpcode.Text, [0x61, 0xC3, 0x28]));
    }

    [Test]
    public async Task InvalidUtf8InALargeStreamedTextFrameFailsWith1007()
    {
        byte[] payload = new byte[40_000];
        payload.AsSpan().Fill((byte)'a');
        payload[30_000] = 0xFF;
        await AssertFailsWith(WebSocketCloseCodes.InvalidPayloadData, new WebSocketOptions(), ClientFrames.Build(WebSocketOpcode.Text, payload));
    }

    [Test]
    public async Task InvalidUtf8SplitAcrossFragmentsFailsWith1007()
    {
        // E2 82 starts a valid euro sign, but the next fragment continues with '(' instead of 0xAC.
        await AssertFailsWith(
            WebSocketCloseCodes.InvalidPayloadData,
            new WebSocketOptions(),
            ClientFrames.Build(WebSocketOpcode.Text, [0x61, 0xE2, 0x82], fin: false),
            ClientFrames.Build(WebSocketOpcode.Continuation, "(b"u8, fin: true));
    }

    [Test]
    public async Task TextEndingInsideACodePointFailsWith1007()
    {
        await AssertFailsWith(
            WebSocketCloseCodes.InvalidPayloadData,
            new WebSocketOptions(),
            ClientFrames.Build(WebSocketOpcode.Text, "ok"u8, fin: false),
            ClientFrames.Build(WebSocketOpcode.Continuation, [0xF0, 0x9F], fin: true));
    }

    [Test]
    public async Task InvalidUtf8CloseReasonFailsWith1007()
    {
        await AssertFailsWith(WebSocketCloseCodes.InvalidPayloadData, new WebSocketOptions(), ClientFrames.Build(WebSocketOpcode.Close, [0x03, 0xE8, 0xC0, 0x80]));
    }

    [Test]
    public async Task SingleFrameOverMaxMessageBytesFailsWith1009()
    {
        await AssertFailsWith(WebSocketCloseCodes.MessageTooBig, new WebSocketOptions { MaxMessageBytes = 100 }, ClientFrames.Build(WebSocketOpcode.Binary, new byte[101]));
    }

    [Test]
    public async Task FragmentedMessageOverMaxMessageBytesFailsWith1009()
    {
        await AssertFailsWith(
            WebSocketCloseCodes.MessageTooBig,
            new WebSocketOptions { MaxMessageBytes = 100 },
            ClientFrames.Build(WebSocketOpcode.Binary, new byte[60], fin: false),
            ClientFrames.Build(WebSocketOpcode.Continuation, new byte[40], fin: false),
            ClientFrames.Build(WebSocketOpcode.Continuation, new byte[1], fin: true));
    }

    [Test]
    public async Task MessageOfExactlyMaxMessageBytesIsAccepted()
    {
        await using var h = WebSocketHarness.Start(new WebSocketOptions { MaxMessageBytes = 100 });

        await h.WriteAsync(
            ClientFrames.Build(WebSocketOpcode.Binary, new byte[60], fin: false),
            ClientFrames.Build(WebSocketOpcode.Continuation, new byte[40], fin: true));

        ReceivedMessage received = await h.Handler.NextMessageAsync();
        Assert.That(received.Payload, Has.Length.EqualTo(100));
    }

    [Test]
    public async Task HandlerExceptionClosesWith1011()
    {
        await using var h = WebSocketHarness.Start();
        var boom = new InvalidOperationException("boom");
        h.Handler.OnMessageCallback = (_, _) => throw boom;

        await h.WriteAsync(ClientFrames.Text("hi"));

        ServerFrame close = await h.ReadRequiredFrameAsync();
        ClosedEvent closed = await h.Handler.Closed;
        Assert.Multiple(() =>
        {
            Assert.That(close.Opcode, Is.EqualTo(WebSocketOpcode.Close));
            Assert.That(close.CloseCode, Is.EqualTo(WebSocketCloseCodes.InternalError));
            Assert.That(closed.Status, Is.EqualTo(WebSocketCloseCodes.InternalError));
            Assert.That(closed.Error, Is.SameAs(boom));
        });
    }

    [Test]
    public async Task MessagesBeforeTheViolationAreStillDelivered()
    {
        await using var h = WebSocketHarness.Start();

        await h.WriteAsync(ClientFrames.Text("first"), ClientFrames.Build(WebSocketOpcode.Text, "x"u8, rsv: 2));

        ReceivedMessage received = await h.Handler.NextMessageAsync();
        ClosedEvent closed = await h.Handler.Closed;
        Assert.Multiple(() =>
        {
            Assert.That(received.Payload, Is.EqualTo("first"u8.ToArray()));
            Assert.That(closed.Status, Is.EqualTo(WebSocketCloseCodes.ProtocolError));
        });
    }

    private static async Task AssertFailsWith(ushort expectedCode, WebSocketOptions options, params byte[][] frames)
    {
        await using var h = WebSocketHarness.Start(options);

        await h.WriteAsync(frames);

        List<ServerFrame> sent = await h.ReadToEndAsync();
        await h.WaitFinishedAsync();
        ClosedEvent closed = await h.Handler.Closed;
        Assert.Multiple(() =>
        {
            Assert.That(sent, Has.Count.EqualTo(1), "exactly one Close frame, then the transport is completed");
            Assert.That(sent[0].Opcode, Is.EqualTo(WebSocketOpcode.Close));
            Assert.That(sent[0].CloseCode, Is.EqualTo(expectedCode));
            Assert.That(sent[0].Payload, Has.Length.LessThanOrEqualTo(125));
            Assert.That(closed.Status, Is.EqualTo(expectedCode));
            Assert.That(closed.Error, Is.InstanceOf<WebSocketProtocolException>());
            Assert.That(((WebSocketProtocolException)closed.Error!).CloseStatus, Is.EqualTo(expectedCode));
            Assert.That(h.Handler.ClosedCount, Is.EqualTo(1));
            Assert.That(h.Handler.TryGetMessage(out _), Is.False);
            Assert.That(h.Connection.IsOpen, Is.False);
        });
    }
}
