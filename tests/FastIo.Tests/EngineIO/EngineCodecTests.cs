using System.Buffers;
using System.Text;
using FastIo.EngineIO;
using NUnit.Framework;

namespace FastIo.Tests.EngineIO;

public class EngineCodecTests
{
    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static string EncodeV4(params EnginePacket[] packets)
    {
        var buffer = new ArrayBufferWriter<byte>();
        EngineCodec.WritePayloadV4(buffer, packets);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [TestCase("0", EnginePacketType.Open, "")]
    [TestCase("4hello", EnginePacketType.Message, "hello")]
    [TestCase("2probe", EnginePacketType.Ping, "probe")]
    [TestCase("6", EnginePacketType.Noop, "")]
    [TestCase("4é€😀", EnginePacketType.Message, "é€😀")]
    public void DecodesTextPackets(string text, EnginePacketType type, string data)
    {
        Assert.That(EngineCodec.TryDecodeText(Utf8(text), out var t, out var d), Is.True);
        Assert.That(t, Is.EqualTo(type));
        Assert.That(Encoding.UTF8.GetString(d), Is.EqualTo(data));
    }

    [TestCase("")]
    [TestCase("abc")]
    [TestCase("7")]
    [TestCase("9x")]
    [TestCase("/")]
    public void RejectsMalformedTextPackets(string text) =>
        Assert.That(EngineCodec.TryDecodeText(Utf8(text), out _, out _), Is.False);

    [Test]
    public void EncodesV4PayloadsLikeTheReference()
    {
        Assert.That(EncodeV4(EnginePacket.Text(EnginePacketType.Message, "hello")), Is.EqualTo("4hello"));
        Assert.That(
            EncodeV4(
                EnginePacket.Text(EnginePacketType.Message, "test1"),
                EnginePacket.Text(EnginePacketType.Message, "test2"),
                EnginePacket.Text(EnginePacketType.Message, "test3")),
            Is.EqualTo("4test1\u001e4test2\u001e4test3"));
        Assert.That(
            EncodeV4(
                EnginePacket.Text(EnginePacketType.Message, "hello"),
                new EnginePacket(EnginePacketType.Message, new byte[] { 1, 2, 3, 4 }, isBinary: true)),
            Is.EqualTo("4hello\u001ebAQIDBA=="));
        Assert.That(EncodeV4(new EnginePacket(EnginePacketType.Ping)), Is.EqualTo("2"));
    }

    [Test]
    public void DecodesV4PayloadsWithBinary()
    {
        var packets = new List<EnginePacket>();
        Assert.That(EngineCodec.TryDecodePayloadV4(Utf8("4hello\u001ebAQIDBA==\u001e3"), packets), Is.True);
        Assert.That(packets, Has.Count.EqualTo(3));
        Assert.That(packets[0].Type, Is.EqualTo(EnginePacketType.Message));
        Assert.That(Encoding.UTF8.GetString(packets[0].Data.Span), Is.EqualTo("hello"));
        Assert.That(packets[1].IsBinary, Is.True);
        Assert.That(packets[1].Data.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
        Assert.That(packets[2].Type, Is.EqualTo(EnginePacketType.Pong));
    }

    [TestCase("")]
    [TestCase("abc")]
    [TestCase("4hello\u001e")]
    [TestCase("4hello\u001ex")]
    [TestCase("b!!!")]
    public void RejectsMalformedV4Payloads(string payload) =>
        Assert.That(EngineCodec.TryDecodePayloadV4(Utf8(payload), new List<EnginePacket>()), Is.False);

    [Test]
    public void V4PayloadRoundTripsEveryPacketType()
    {
        var packets = new List<EnginePacket>();
        for (var type = EnginePacketType.Open; type <= EnginePacketType.Noop; type++)
        {
            packets.Add(EnginePacket.Text(type, type == EnginePacketType.Noop ? "" : "data-" + (int)type));
        }

        packets.Add(new EnginePacket(EnginePacketType.Message, Enumerable.Range(0, 300).Select(i => (byte)i).ToArray(), isBinary: true));
        var buffer = new ArrayBufferWriter<byte>();
        EngineCodec.WritePayloadV4(buffer, packets.ToArray());
        var decoded = new List<EnginePacket>();
        Assert.That(EngineCodec.TryDecodePayloadV4(buffer.WrittenSpan, decoded), Is.True);
        Assert.That(decoded, Has.Count.EqualTo(packets.Count));
        for (var i = 0; i < packets.Count; i++)
        {
            Assert.That(decoded[i].Type, Is.EqualTo(packets[i].Type));
            Assert.That(decoded[i].IsBinary, Is.EqualTo(packets[i].IsBinary));
            Assert.That(decoded[i].Data.ToArray(), Is.EqualTo(packets[i].Data.ToArray()));
        }
    }

    [Test]
    public void V3TextPayloadCountsUtf16Units()
    {
        // "4é😀" is 4 UTF-16 units (😀 is a surrogate pair) but 7 UTF-8 bytes.
        var buffer = new ArrayBufferWriter<byte>();
        EngineCodec.WritePayloadV3Text(buffer, [EnginePacket.Text(EnginePacketType.Message, "é😀"), EnginePacket.Text(EnginePacketType.Pong, "")]);
        Assert.That(Encoding.UTF8.GetString(buffer.WrittenSpan), Is.EqualTo("4:4é😀1:3"));

        var decoded = new List<EnginePacket>();
        Assert.That(EngineCodec.TryDecodePayloadV3Text(buffer.WrittenSpan, decoded), Is.True);
        Assert.That(decoded, Has.Count.EqualTo(2));
        Assert.That(Encoding.UTF8.GetString(decoded[0].Data.Span), Is.EqualTo("é😀"));
        Assert.That(decoded[1].Type, Is.EqualTo(EnginePacketType.Pong));
    }

    [Test]
    public void V3TextPayloadCarriesBinaryAsB4Base64()
    {
        var buffer = new ArrayBufferWriter<byte>();
        EngineCodec.WritePayloadV3Text(buffer, [new EnginePacket(EnginePacketType.Message, new byte[] { 1, 2, 3, 4 }, isBinary: true)]);
        Assert.That(Encoding.UTF8.GetString(buffer.WrittenSpan), Is.EqualTo("10:b4AQIDBA=="));
        var decoded = new List<EnginePacket>();
        Assert.That(EngineCodec.TryDecodePayloadV3Text(buffer.WrittenSpan, decoded), Is.True);
        Assert.That(decoded[0].IsBinary, Is.True);
        Assert.That(decoded[0].Data.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3, 4 }));
    }

    [Test]
    public void V3EmptyPayloadIsZeroColon()
    {
        var buffer = new ArrayBufferWriter<byte>();
        EngineCodec.WritePayloadV3Text(buffer, ReadOnlySpan<EnginePacket>.Empty);
        Assert.That(Encoding.UTF8.GetString(buffer.WrittenSpan), Is.EqualTo("0:"));
    }

    [TestCase("")]
    [TestCase("5:4hi")]
    [TestCase("x:4hi")]
    [TestCase("3:4hi3")]
    [TestCase("2:x1")]
    [TestCase("99999999999:4")]
    public void RejectsMalformedV3TextPayloads(string payload) =>
        Assert.That(EngineCodec.TryDecodePayloadV3Text(Utf8(payload), new List<EnginePacket>()), Is.False);

    [Test]
    public void V3BinaryPayloadRoundTrips()
    {
        var packets = new[]
        {
            EnginePacket.Text(EnginePacketType.Message, "héllo"),
            new EnginePacket(EnginePacketType.Message, Enumerable.Range(0, 1234).Select(i => (byte)i).ToArray(), isBinary: true),
        };
        var buffer = new ArrayBufferWriter<byte>();
        EngineCodec.WritePayloadV3Binary(buffer, packets);
        var bytes = buffer.WrittenSpan.ToArray();
        // string record: 0, length digits of "4héllo" (7 bytes), 0xFF
        Assert.That(bytes[..3], Is.EqualTo(new byte[] { 0, 7, 0xFF }));
        var decoded = new List<EnginePacket>();
        Assert.That(EngineCodec.TryDecodePayloadV3Binary(bytes, decoded), Is.True);
        Assert.That(Encoding.UTF8.GetString(decoded[0].Data.Span), Is.EqualTo("héllo"));
        Assert.That(decoded[1].IsBinary, Is.True);
        Assert.That(decoded[1].Data.ToArray(), Is.EqualTo(packets[1].Data.ToArray()));
    }

    [Test]
    public void RejectsTruncatedV3BinaryPayloads()
    {
        var buffer = new ArrayBufferWriter<byte>();
        EngineCodec.WritePayloadV3Binary(buffer, [EnginePacket.Text(EnginePacketType.Message, "hello")]);
        var bytes = buffer.WrittenSpan.ToArray();
        for (var cut = 1; cut < bytes.Length; cut++)
        {
            Assert.That(EngineCodec.TryDecodePayloadV3Binary(bytes.AsSpan(0, cut), new List<EnginePacket>()), Is.False, $"cut at {cut}");
        }
    }

    [Test]
    public void ErrorBodiesMatchEngineIo()
    {
        Assert.That(Encoding.UTF8.GetString(EngineErrors.JsonBody(EngineErrorCode.UnknownSid)), Is.EqualTo("{\"code\":1,\"message\":\"Session ID unknown\"}"));
        Assert.That(EngineErrors.HttpStatus(EngineErrorCode.Forbidden), Is.EqualTo(403));
        Assert.That(EngineErrors.HttpStatus(EngineErrorCode.UnsupportedProtocolVersion), Is.EqualTo(400));
    }
}
