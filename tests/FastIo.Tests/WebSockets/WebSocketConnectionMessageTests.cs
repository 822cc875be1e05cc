using System.IO.Pipelines;
using System.Text;
using FastIo.Transports.WebSockets;
using NUnit.Framework;

namespace FastIo.Tests.WebSockets;

[TestFixture]
public sealed class WebSocketConnectionMessageTests
{
    [Test]
    public async Task TextMessageIsEchoed()
    {
        await using var h = WebSocketHarness.Start();
        h.EnableEcho();

        await h.WriteAsync(ClientFrames.Text("héllo wörld"));

        ReceivedMessage received = await h.Handler.NextMessageAsync();
        ServerFrame echo = await h.ReadRequiredFrameAsync();
        Assert.Multiple(() =>
        {
            Assert.That(received.Type, Is.EqualTo(WebSocketMessageType.Text));
            Assert.That(Encoding.UTF8.GetString(received.Payload), Is.EqualTo("héllo wörld"));
            Assert.That(echo.Opcode, Is.EqualTo(WebSocketOpcode.Text));
            Assert.That(echo.Fin, Is.True);
            Assert.That(echo.Masked, Is.False);
            Assert.That(echo.Rsv, Is.Zero);
            Assert.That(echo.Text, Is.EqualTo("héllo wörld"));
        });
    }

    [TestCase(0)]
    [TestCase(125)]
    [TestCase(126)]
    [TestCase(65535)]
    [TestCase(65536)]
    [TestCase(300_000)]
    public async Task BinaryMessagesOfEveryLengthClassAreEchoed(int length)
    {
        await using var h = WebSocketHarness.Start();
        h.EnableEcho();
        byte[] payload = RandomBytes(length, length);

        Task write = h.WriteAsync(ClientFrames.Build(WebSocketOpcode.Binary, payload));
        ServerFrame echo = await h.ReadRequiredFrameAsync();
        await write;

        ReceivedMessage received = await h.Handler.NextMessageAsync();
        Assert.Multiple(() =>
        {
            Assert.That(received.Type, Is.EqualTo(WebSocketMessageType.Binary));
            Assert.That(received.Payload, Is.EqualTo(payload));
            Assert.That(echo.Opcode, Is.EqualTo(WebSocketOpcode.Binary));
            Assert.That(echo.Payload, Is.EqualTo(payload));
        });
    }

    [Test]
    public async Task EveryByteInItsOwnSegmentStillParses()
    {
        // A pipe whose memory pool hands out 1-byte blocks: headers, masks and UTF-8 are split at every position.
        var options = new PipeOptions(pool: new TinyBlockPool(1), minimumSegmentSize: 1, pauseWriterThreshold: 0);
        var h = new WebSocketHarness(inputOptions: options);
        await using (h)
        {
            byte[] binary = RandomBytes(300, 1);
            await h.WriteAsync(
                ClientFrames.Text("aé€𝄞 split everywhere"),
                ClientFrames.Build(WebSocketOpcode.Binary, binary),
                ClientFrames.Build(WebSocketOpcode.Text, "frag"u8, fin: false),
                ClientFrames.Build(WebSocketOpcode.Ping, "pp"u8),
                ClientFrames.Build(WebSocketOpcode.Continuation, "ment€"u8.ToArray(), fin: true));
            h.Run();

            ReceivedMessage first = await h.Handler.NextMessageAsync();
            ReceivedMessage second = await h.Handler.NextMessageAsync();
            ReceivedMessage third = await h.Handler.NextMessageAsync();
            ServerFrame pong = await h.ReadRequiredFrameAsync();
            Assert.Multiple(() =>
            {
                Assert.That(Encoding.UTF8.GetString(first.Payload), Is.EqualTo("aé€𝄞 split everywhere"));
                Assert.That(second.Payload, Is.EqualTo(binary));
                Assert.That(Encoding.UTF8.GetString(third.Payload), Is.EqualTo("fragment€"));
                Assert.That(pong.Opcode, Is.EqualTo(WebSocketOpcode.Pong));
                Assert.That(pong.Text, Is.EqualTo("pp"));
            });
        }
    }

    [Test]
    public async Task FramesArrivingInTwoPiecesAtEveryPositionAreDelivered()
    {
        byte[] frame = ClientFrames.Build(WebSocketOpcode.Text, "κόσμε €"u8, mask: [1, 2, 3, 4]);
        await using var h = WebSocketHarness.Start();
        for (int cut = 1; cut < frame.Length; cut++)
        {
            await h.WriteAsync(frame[..cut]);
            await Task.Yield();
            await h.WriteAsync(frame[cut..]);

            ReceivedMessage received = await h.Handler.NextMessageAsync();
            Assert.That(Encoding.UTF8.GetString(received.Payload), Is.EqualTo("κόσμε €"), $"cut {cut}");
        }
    }

    [Test]
    public async Task LargeFrameArrivingInChunksIsStreamedAndDelivered()
    {
        await using var h = WebSocketHarness.Start();
        byte[] payload = RandomBytes(100_000, 7);
        byte[] frame = ClientFrames.Build(WebSocketOpcode.Binary, payload);
        for (int offset = 0; offset < frame.Length; offset += 4093)
        {
            await h.WriteAsync(frame[offset..Math.Min(frame.Length, offset + 4093)]);
        }

        ReceivedMessage received = await h.Handler.NextMessageAsync();
        Assert.That(received.Payload, Is.EqualTo(payload));
    }

    [Test]
    public async Task FragmentedTextWithInterleavedPingIsDeliveredWholeAndPingIsAnswered()
    {
        await using var h = WebSocketHarness.Start();

        await h.WriteAsync(
            ClientFrames.Text("Hel", fin: false),
            ClientFrames.Build(WebSocketOpcode.Ping, "are you there?"u8),
            ClientFrames.Build(WebSocketOpcode.Continuation, "lo "u8, fin: false),
            ClientFrames.Build(WebSocketOpcode.Pong, "unsolicited"u8),
            ClientFrames.Build(WebSocketOpcode.Continuation, "wörld"u8.ToArray(), fin: true));

        ServerFrame pong = await h.ReadRequiredFrameAsync();
        ReceivedMessage received = await h.Handler.NextMessageAsync();
        Assert.Multiple(() =>
        {
            Assert.That(pong.Opcode, Is.EqualTo(WebSocketOpcode.Pong));
            Assert.That(pong.Text, Is.EqualTo("are you there?"));
            Assert.That(received.Type, Is.EqualTo(WebSocketMessageType.Text));
            Assert.That(Encoding.UTF8.GetString(received.Payload), Is.EqualTo("Hello wörld"));
            Assert.That(h.Handler.TryGetMessage(out _), Is.False);
        });
    }

    [Test]
    public async Task CodePointSplitAcrossFragmentsIsValid()
    {
        await using var h = WebSocketHarness.Start();
        byte[] euro = "€"u8.ToArray();

        await h.WriteAsync(
            ClientFrames.Build(WebSocketOpcode.Text, euro.AsSpan(0, 1), fin: false),
            ClientFrames.Build(WebSocketOpcode.Continuation, euro.AsSpan(1, 1), fin: false),
            ClientFrames.Build(WebSocketOpcode.Continuation, euro.AsSpan(2, 1), fin: true));

        ReceivedMessage received = await h.Handler.NextMessageAsync();
        Assert.That(Encoding.UTF8.GetString(received.Payload), Is.EqualTo("€"));
    }

    [Test]
    public async Task FragmentedBinaryWithEmptyFragmentsIsAssembled()
    {
        await using var h = WebSocketHarness.Start();
        byte[] payload = RandomBytes(10_000, 3);

        await h.WriteAsync(
            ClientFrames.Build(WebSocketOpcode.Binary, [], fin: false),
            ClientFrames.Build(WebSocketOpcode.Continuation, payload.AsSpan(0, 6000), fin: false),
            ClientFrames.Build(WebSocketOpcode.Continuation, [], fin: false),
            ClientFrames.Build(WebSocketOpcode.Continuation, payload.AsSpan(6000), fin: true),
            ClientFrames.Build(WebSocketOpcode.Binary, [], fin: false),
            ClientFrames.Build(WebSocketOpcode.Continuation, [], fin: true));

        ReceivedMessage first = await h.Handler.NextMessageAsync();
        ReceivedMessage empty = await h.Handler.NextMessageAsync();
        Assert.Multiple(() =>
        {
            Assert.That(first.Type, Is.EqualTo(WebSocketMessageType.Binary));
            Assert.That(first.Payload, Is.EqualTo(payload));
            Assert.That(empty.Payload, Is.Empty);
        });
    }

    [Test]
    public async Task ReassemblyBufferIsReturnedAfterEachMessage()
    {
        await using var h = WebSocketHarness.Start();

        await h.WriteAsync(ClientFrames.Build(WebSocketOpcode.Binary, new byte[10], fin: false));
        for (int i = 0; i < 500 && !h.Connection.HoldsReceiveBuffer; i++)
        {
            await Task.Delay(2);
        }

        bool heldMidMessage = h.Connection.HoldsReceiveBuffer;
        await h.WriteAsync(ClientFrames.Build(WebSocketOpcode.Continuation, new byte[10], fin: true));
        await h.Handler.NextMessageAsync();
        bool heldAfterFragmented = h.Connection.HoldsReceiveBuffer;

        // A small frame that arrives in pieces waits in the pipe instead of renting a buffer.
        byte[] frame = ClientFrames.Build(WebSocketOpcode.Binary, new byte[1000]);
        await h.WriteAsync(frame[..500]);
        await Task.Delay(10);
        bool heldWhilePartial = h.Connection.HoldsReceiveBuffer;
        await h.WriteAsync(frame[500..]);
        await h.Handler.NextMessageAsync();

        Assert.Multiple(() =>
        {
            Assert.That(heldMidMessage, Is.True);
            Assert.That(heldAfterFragmented, Is.False);
            Assert.That(heldWhilePartial, Is.False);
            Assert.That(h.Connection.HoldsReceiveBuffer, Is.False);
        });
    }

    [Test]
    public async Task SendFrameDeliversAPrebuiltFrame()
    {
        await using var h = WebSocketHarness.Start();
        byte[] frame = WebSocketFrameWriter.BuildFrame("broadcast"u8, WebSocketMessageType.Text);

        Assert.That(h.Connection.SendFrame(frame), Is.True);

        ServerFrame received = await h.ReadRequiredFrameAsync();
        Assert.Multiple(() =>
        {
            Assert.That(received.Opcode, Is.EqualTo(WebSocketOpcode.Text));
            Assert.That(received.Text, Is.EqualTo("broadcast"));
        });
    }

    [Test]
    public void FrameWriterUsesMinimalLengthEncodings()
    {
        Assert.Multiple(() =>
        {
            Assert.That(WebSocketFrameWriter.GetHeaderSize(0), Is.EqualTo(2));
            Assert.That(WebSocketFrameWriter.GetHeaderSize(125), Is.EqualTo(2));
            Assert.That(WebSocketFrameWriter.GetHeaderSize(126), Is.EqualTo(4));
            Assert.That(WebSocketFrameWriter.GetHeaderSize(65535), Is.EqualTo(4));
            Assert.That(WebSocketFrameWriter.GetHeaderSize(65536), Is.EqualTo(10));
            Assert.That(WebSocketFrameWriter.BuildFrame(new byte[126], WebSocketMessageType.Binary)[..4], Is.EqualTo(new byte[] { 0x82, 126, 0, 126 }));
            Assert.That(WebSocketFrameWriter.BuildFrame(new byte[65536], WebSocketMessageType.Binary)[..10], Is.EqualTo(new byte[] { 0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0 }));
            Assert.That(WebSocketFrameWriter.BuildFrame("hi"u8, WebSocketMessageType.Text), Is.EqualTo(new byte[] { 0x81, 2, (byte)'h', (byte)'i' }));
        });
    }

    internal static byte[] RandomBytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
