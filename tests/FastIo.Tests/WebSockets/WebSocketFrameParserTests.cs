using System.Buffers;
using FastIo.Transports.WebSockets;
using NUnit.Framework;

namespace FastIo.Tests.WebSockets;

[TestFixture]
public sealed class WebSocketFrameParserTests
{
    private static readonly uint Mask = WebSocketMasking.ReadMask(ClientFrames.DefaultMask);

    [TestCase(0, 6)]
    [TestCase(125, 6)]
    [TestCase(126, 8)]
    [TestCase(65535, 8)]
    [TestCase(65536, 14)]
    [TestCase(5_000_000, 14)]
    public void ParsesMinimalLengthEncodings(int length, int expectedHeaderLength)
    {
        byte[] frame = ClientFrames.Build(WebSocketOpcode.Binary, new byte[length]);

        WebSocketFrameParseStatus status = Parse(new ReadOnlySequence<byte>(frame), false, out WebSocketFrameHeader header, out long consumed, out _);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(WebSocketFrameParseStatus.Complete));
            Assert.That(header.PayloadLength, Is.EqualTo(length));
            Assert.That(header.HeaderLength, Is.EqualTo(expectedHeaderLength));
            Assert.That(consumed, Is.EqualTo(expectedHeaderLength));
            Assert.That(header.Fin, Is.True);
            Assert.That(header.Masked, Is.True);
            Assert.That(header.Mask, Is.EqualTo(Mask));
            Assert.That(header.Opcode, Is.EqualTo(WebSocketOpcode.Binary));
        });
    }

    [TestCase(16, 5, 8)]
    [TestCase(64, 5, 14)]
    [TestCase(64, 300, 14)]
    public void AcceptsWiderLengthEncodings(int lengthBits, int length, int headerLength)
    {
        var encoding = lengthBits == 16 ? ClientFrames.LengthEncoding.Sixteen : ClientFrames.LengthEncoding.SixtyFour;
        byte[] frame = ClientFrames.Build(WebSocketOpcode.Text, new byte[length], encoding: encoding);

        WebSocketFrameParseStatus status = Parse(new ReadOnlySequence<byte>(frame), false, out WebSocketFrameHeader header, out _, out _);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(WebSocketFrameParseStatus.Complete));
            Assert.That(header.PayloadLength, Is.EqualTo(length));
            Assert.That(header.HeaderLength, Is.EqualTo(headerLength));
        });
    }

    [TestCase(0)]
    [TestCase(126)]
    [TestCase(70000)]
    public void EveryStrictPrefixOfTheHeaderIsIncompleteAndConsumesNothing(int length)
    {
        byte[] frame = ClientFrames.Build(WebSocketOpcode.Binary, new byte[length]);
        int headerLength = WebSocketFrameWriter.GetHeaderSize(length) + 4;
        for (int prefix = 0; prefix < headerLength; prefix++)
        {
            var sequence = new ReadOnlySequence<byte>(frame, 0, prefix);

            WebSocketFrameParseStatus status = Parse(sequence, false, out _, out long consumed, out _);

            Assert.That(status, Is.EqualTo(WebSocketFrameParseStatus.Incomplete), $"prefix {prefix}");
            Assert.That(consumed, Is.Zero);
        }
    }

    [Test]
    public void ParsesHeadersSplitAtEveryPosition()
    {
        foreach (int length in new[] { 3, 200, 70000 })
        {
            byte[] frame = ClientFrames.Build(WebSocketOpcode.Text, new byte[length], fin: false);
            int headerLength = WebSocketFrameWriter.GetHeaderSize(length) + 4;
            for (int cut1 = 1; cut1 <= headerLength; cut1++)
            {
                for (int cut2 = cut1; cut2 <= headerLength; cut2++)
                {
                    WebSocketFrameParseStatus status = Parse(TestBuffers.Split(frame, cut1, cut2), false, out WebSocketFrameHeader header, out long consumed, out _);

                    Assert.That(status, Is.EqualTo(WebSocketFrameParseStatus.Complete), $"length {length} cuts {cut1},{cut2}");
                    Assert.That(header, Is.EqualTo(new WebSocketFrameHeader(false, WebSocketOpcode.Text, true, Mask, length, headerLength)));
                    Assert.That(consumed, Is.EqualTo(headerLength));
                }
            }
        }
    }

    [Test]
    public void ControlFramesMayInterleaveWithAFragmentedMessage()
    {
        byte[] ping = ClientFrames.Build(WebSocketOpcode.Ping, "hi"u8);

        WebSocketFrameParseStatus status = Parse(new ReadOnlySequence<byte>(ping), true, out WebSocketFrameHeader header, out _, out _);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(WebSocketFrameParseStatus.Complete));
            Assert.That(header.IsControl, Is.True);
            Assert.That(header.Opcode, Is.EqualTo(WebSocketOpcode.Ping));
        });
    }

    [Test]
    public void ContinuationIsAcceptedDuringAFragmentedMessage()
    {
        byte[] frame = ClientFrames.Build(WebSocketOpcode.Continuation, "x"u8);

        Assert.That(Parse(new ReadOnlySequence<byte>(frame), true, out _, out _, out _), Is.EqualTo(WebSocketFrameParseStatus.Complete));
    }

    public static IEnumerable<TestCaseData> ProtocolViolations()
    {
        yield return new TestCaseData(ClientFrames.Build(WebSocketOpcode.Text, "a"u8, masked: false), false).SetName("Unmasked client frame");
        yield return new TestCaseData(ClientFrames.Build(WebSocketOpcode.Text, "a"u8, rsv: 4), false).SetName("RSV1 set");
        yield return new TestCaseData(ClientFrames.Build(WebSocketOpcode.Text, "a"u8, rsv: 2), false).SetName("RSV2 set");
        yield return new TestCaseData(ClientFrames.Build(WebSocketOpcode.Text, "a"u8, rsv: 1), false).SetName("RSV3 set");
        yield return new TestCaseData(ClientFrames.Build((WebSocketOpcode)3, "a"u8), false).SetName("Reserved data opcode 3");
        yield return new TestCaseData(ClientFrames.Build((WebSocketOpcode)0xB, "a"u8), false).SetName("Reserved control opcode 0xB");
        yield return new TestCaseData(ClientFrames.Build(WebSocketOpcode.Ping, new byte[126]), false).SetName("Control frame over 125 bytes");
        yield return new TestCaseData(ClientFrames.Build(WebSocketOpcode.Close, new byte[2], fin: false), false).SetName("Fragmented control frame");
        yield return new TestCaseData(ClientFrames.Build(WebSocketOpcode.Continuation, "a"u8), false).SetName("Continuation without start");
        yield return new TestCaseData(ClientFrames.Build(WebSocketOpcode.Text, "a"u8), true).SetName("New data frame during fragmented message");
        yield return new TestCaseData(ClientFrames.Build(WebSocketOpcode.Binary, [], encoding: ClientFrames.LengthEncoding.SixtyFour, rawLength: 0x8000_0000_0000_0001), false).SetName("64-bit length with MSB set");
    }

    [TestCaseSource(nameof(ProtocolViolations))]
    public void ProtocolViolationsAreErrorsWithCode1002(byte[] frame, bool messageInProgress)
    {
        WebSocketFrameParseStatus status = Parse(new ReadOnlySequence<byte>(frame), messageInProgress, out _, out long consumed, out ushort code);

        Assert.Multiple(() =>
        {
            Assert.That(status, Is.EqualTo(WebSocketFrameParseStatus.Error));
            Assert.That(code, Is.EqualTo(WebSocketCloseCodes.ProtocolError));
            Assert.That(consumed, Is.Zero);
        });
    }

    [Test]
    public void RsvViolationIsDetectedFromTheFirstByteAlone()
    {
        byte[] frame = ClientFrames.Build(WebSocketOpcode.Text, "a"u8, rsv: 4);

        Assert.That(Parse(new ReadOnlySequence<byte>(frame, 0, 1), false, out _, out _, out _), Is.EqualTo(WebSocketFrameParseStatus.Error));
    }

    [Test]
    public void ReservedBitsAreCheckedBeforeTheOpcode()
    {
        // Both RSV and opcode are bad; the RSV error must win (ManagedWebSocket order).
        byte[] frame = ClientFrames.Build((WebSocketOpcode)3, "a"u8, rsv: 4);

        Parse(new ReadOnlySequence<byte>(frame), false, out _, out _, out _, out string? error);

        Assert.That(error, Does.Contain("Reserved bits"));
    }

    private static WebSocketFrameParseStatus Parse(ReadOnlySequence<byte> sequence, bool messageInProgress, out WebSocketFrameHeader header, out long consumed, out ushort code) =>
        Parse(sequence, messageInProgress, out header, out consumed, out code, out _);

    private static WebSocketFrameParseStatus Parse(ReadOnlySequence<byte> sequence, bool messageInProgress, out WebSocketFrameHeader header, out long consumed, out ushort code, out string? error)
    {
        var reader = new SequenceReader<byte>(sequence);
        WebSocketFrameParseStatus status = WebSocketFrameParser.TryParseHeader(ref reader, messageInProgress, out header, out code, out error);
        consumed = reader.Consumed;
        return status;
    }
}
