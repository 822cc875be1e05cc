using System.Text;
using FastIo.SocketIO.Protocol;
using NUnit.Framework;
using static FastIo.Tests.SocketIO.PacketTestHelpers;

namespace FastIo.Tests.SocketIO;

/// <summary>
/// The default parser against socket.io-parser 4.2.x: encodings from docs/socket.io-protocol/v5-current.md byte for
/// byte, round trips, and the decoder's validation. (Packets are passed as object: SocketPacket is internal.)
/// </summary>
[TestFixture]
public class SocketIOJsonParserTests
{
    private static readonly byte[] Bin1234 = [1, 2, 3, 4];
    private static readonly byte[] Bin12 = [1, 2];
    private static readonly byte[] Bin34 = [3, 4];

    private static IEnumerable<TestCaseData> Encodings()
    {
        yield return new TestCaseData(Packet(SocketPacketType.Connect), "0").SetName("Connect main");
        yield return new TestCaseData(Packet(SocketPacketType.Connect, "/admin", json: "{\"token\":\"123\"}"), "0/admin,{\"token\":\"123\"}").SetName("Connect admin");
        yield return new TestCaseData(Packet(SocketPacketType.Connect, "/admin", json: "{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}"), "0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}").SetName("Connect answer");
        yield return new TestCaseData(Packet(SocketPacketType.Disconnect), "1").SetName("Disconnect main");
        yield return new TestCaseData(Packet(SocketPacketType.Disconnect, "/admin"), "1/admin,").SetName("Disconnect admin");
        yield return new TestCaseData(Packet(SocketPacketType.Event, json: "[\"foo\"]"), "2[\"foo\"]").SetName("Event main");
        yield return new TestCaseData(Packet(SocketPacketType.Event, "/admin", json: "[\"bar\"]"), "2/admin,[\"bar\"]").SetName("Event admin");
        yield return new TestCaseData(Packet(SocketPacketType.Event, id: 12, json: "[\"foo\"]"), "212[\"foo\"]").SetName("Event with id");
        yield return new TestCaseData(Packet(SocketPacketType.Event, "/admin", 456, "[\"project:delete\",123]"), "2/admin,456[\"project:delete\",123]").SetName("Event admin with id");
        yield return new TestCaseData(Packet(SocketPacketType.Ack, "/admin", 456, "[]"), "3/admin,456[]").SetName("Ack empty");
        yield return new TestCaseData(Packet(SocketPacketType.Ack, "/admin", 13, "[\"bar\"]"), "3/admin,13[\"bar\"]").SetName("Ack admin");
        yield return new TestCaseData(Packet(SocketPacketType.ConnectError, json: "{\"message\":\"Not authorized\"}"), "4{\"message\":\"Not authorized\"}").SetName("ConnectError object");
        yield return new TestCaseData(Packet(SocketPacketType.ConnectError, "/admin", json: "\"nope\""), "4/admin,\"nope\"").SetName("ConnectError string");
        yield return new TestCaseData(Packet(SocketPacketType.BinaryEvent, json: "[\"baz\"," + Ph0 + "]", attachments: Bin1234), "51-[\"baz\"," + Ph0 + "]").SetName("BinaryEvent");
        yield return new TestCaseData(Packet(SocketPacketType.BinaryEvent, "/admin", json: "[\"baz\"," + Ph0 + "," + Ph1 + "]", attachments: [Bin12, Bin34]), "52-/admin,[\"baz\"," + Ph0 + "," + Ph1 + "]").SetName("BinaryEvent two attachments");
        yield return new TestCaseData(Packet(SocketPacketType.BinaryAck, "/admin", 456, "[" + Ph0 + "]", Bin1234), "61-/admin,456[" + Ph0 + "]").SetName("BinaryAck admin");
        yield return new TestCaseData(Packet(SocketPacketType.BinaryAck, id: 15, json: "[\"bar\"," + Ph0 + "]", attachments: Bin1234), "61-15[\"bar\"," + Ph0 + "]").SetName("BinaryAck main");
        yield return new TestCaseData(Packet(SocketPacketType.Event, "/ünï", json: "[\"é\"]"), "2/ünï,[\"é\"]").SetName("Event non-ASCII namespace");
    }

    [TestCaseSource(nameof(Encodings))]
    public void EncodesLikeSocketIOParser(object boxed, string expected)
    {
        var packet = (SocketPacket)boxed;
        var encoded = new SocketIOJsonParser().Encode(packet);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(encoded.First), Is.EqualTo(expected));
            Assert.That(encoded.FirstIsBinary, Is.False);
            Assert.That(encoded.Attachments.Select(a => a.ToArray()), Is.EqualTo(packet.Attachments.Select(a => a.ToArray())));
        }
    }

    [TestCaseSource(nameof(Encodings))]
    public void DecodesWhatItEncodes(object boxed, string expected)
    {
        var packet = (SocketPacket)boxed;
        var decoder = new SocketIOJsonParser().CreateDecoder();
        var status = decoder.Decode(Encoding.UTF8.GetBytes(expected), false, out var decoded, out var error);
        for (int i = 0; i < packet.Attachments.Count; i++)
        {
            Assert.That(status, Is.EqualTo(SocketDecodeStatus.NeedMore), error);
            status = decoder.Decode(packet.Attachments[i].Span, true, out decoded, out error);
        }

        Assert.That(status, Is.EqualTo(SocketDecodeStatus.Packet), error);
        AssertSame(decoded, packet);
    }

    [Test]
    public void EventsAndAcksAreBinaryIffTheyHaveAttachments()
    {
        var parser = new SocketIOJsonParser();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(parser.Encode(Packet(SocketPacketType.BinaryEvent, json: "[\"a\"]")).First), Is.EqualTo("2[\"a\"]"));
            Assert.That(Text(parser.Encode(Packet(SocketPacketType.BinaryAck, id: 1, json: "[]")).First), Is.EqualTo("31[]"));
            Assert.That(Text(parser.Encode(Packet(SocketPacketType.Ack, id: 1, json: "[" + Ph0 + "]", attachments: Bin12)).First), Is.EqualTo("61-1[" + Ph0 + "]"));
        }
    }

    [Test]
    public void RefusesProgrammerErrors()
    {
        var parser = new SocketIOJsonParser();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(() => parser.Encode(Packet(SocketPacketType.Connect, json: "{}", attachments: Bin12)), Throws.ArgumentException);
            Assert.That(() => parser.Encode(Packet(SocketPacketType.Event, "admin", json: "[\"a\"]")), Throws.ArgumentException);
            Assert.That(() => parser.Encode(Packet(SocketPacketType.Event, "/a,b", json: "[\"a\"]")), Throws.ArgumentException);
            Assert.That(() => new SocketIOJsonParser(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        }
    }

    [TestCase("0", SocketPacketType.Connect, "/", -1, "")]
    [TestCase("1/admin", SocketPacketType.Disconnect, "/admin", -1, "")]
    [TestCase("2/,[\"a\"]", SocketPacketType.Event, "/", -1, "[\"a\"]")]
    [TestCase("2[1,\"a\"]", SocketPacketType.Event, "/", -1, "[1,\"a\"]")]
    [TestCase("2 [\"a\"] ", SocketPacketType.Event, "/", -1, " [\"a\"] ")]
    [TestCase("2007[\"a\"]", SocketPacketType.Event, "/", 7, "[\"a\"]")]
    [TestCase("2[\"a\",{\"_placeholder\":true,\"num\":3}]", SocketPacketType.Event, "/", -1, "[\"a\",{\"_placeholder\":true,\"num\":3}]")]
    [TestCase("3/admin,9223372036854775807[]", SocketPacketType.Ack, "/admin", long.MaxValue, "[]")]
    public void DecodesEdgeCases(string message, SocketPacketType type, string nsp, long id, string json)
    {
        var status = new SocketIOJsonParser().CreateDecoder().Decode(Encoding.UTF8.GetBytes(message), false, out var packet, out var error);
        Assert.That(status, Is.EqualTo(SocketDecodeStatus.Packet), error);
        AssertSame(packet, Packet(type, nsp, id, json.Length == 0 ? null : json));
    }

    [Test]
    public void MainNamespaceIsNotAllocated()
    {
        var decoder = new SocketIOJsonParser().CreateDecoder();
        decoder.Decode("2[\"a\"]"u8, false, out var main, out _);
        decoder.Decode("2/,[\"a\"]"u8, false, out var explicitMain, out _);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(main!.Namespace, Is.SameAs("/"));
            Assert.That(explicitMain!.Namespace, Is.SameAs("/"));
        }
    }

    [TestCase("", "empty packet")]
    [TestCase("7", "unknown packet type")]
    [TestCase("9[\"a\"]", "unknown packet type")]
    [TestCase("a", "unknown packet type")]
    [TestCase("-1", "unknown packet type")]
    [TestCase("4abc", "invalid JSON")]
    [TestCase("2{}", "invalid payload")]
    [TestCase("2[]", "invalid payload")]
    [TestCase("2[null]", "invalid payload")]
    [TestCase("2[{}]", "invalid payload")]
    [TestCase("2\"foo\"", "invalid payload")]
    [TestCase("2[\"connect\"]", "invalid payload")]
    [TestCase("2[\"connect_error\"]", "invalid payload")]
    [TestCase("2[\"disconnect\"]", "invalid payload")]
    [TestCase("2[\"disconnecting\"]", "invalid payload")]
    [TestCase("2[\"newListener\"]", "invalid payload")]
    [TestCase("2[\"removeListener\"]", "invalid payload")]
    [TestCase("2[\"\\u0063onnect\"]", "invalid payload")]
    [TestCase("2abc[\"foo\"]", "invalid JSON")]
    [TestCase("2/admin,abc[\"foo\"]", "invalid JSON")]
    [TestCase("2[\"foo\"", "invalid JSON")]
    [TestCase("2[\"foo\"]x", "invalid JSON")]
    [TestCase("2[\"foo\"][]", "invalid JSON")]
    [TestCase("2[\"foo\",]", "invalid JSON")]
    [TestCase("2 ", "invalid JSON")]
    [TestCase("2", "invalid payload")]
    [TestCase("2/admin,", "invalid payload")]
    [TestCase("3/admin,13", "invalid payload")]
    [TestCase("3{}", "invalid payload")]
    [TestCase("3\"a\"", "invalid payload")]
    [TestCase("0[]", "invalid payload")]
    [TestCase("0\"x\"", "invalid payload")]
    [TestCase("0null", "invalid payload")]
    [TestCase("1{}", "invalid payload")]
    [TestCase("1/admin,[]", "invalid payload")]
    [TestCase("4", "invalid payload")]
    [TestCase("4[]", "invalid payload")]
    [TestCase("412", "invalid payload")]
    [TestCase("5[\"a\"]", "illegal attachments")]
    [TestCase("5-[\"a\"]", "illegal attachments")]
    [TestCase("51[\"a\"]", "illegal attachments")]
    [TestCase("5x-[\"a\"]", "illegal attachments")]
    [TestCase("51", "illegal attachments")]
    [TestCase("511-[\"a\"]", "too many attachments")]
    [TestCase("599999999999999999999-[\"a\"]", "too many attachments")]
    [TestCase("51-[\"a\",{\"_placeholder\":true,\"num\":1}]", "illegal attachments")]
    [TestCase("51-[\"a\",{\"_placeholder\":true}]", "illegal attachments")]
    [TestCase("51-[\"a\",{\"_placeholder\":true,\"num\":\"0\"}]", "illegal attachments")]
    [TestCase("51-[\"a\",{\"_placeholder\":true,\"num\":-1}]", "illegal attachments")]
    [TestCase("51-[\"a\",{\"x\":[{\"num\":0,\"_placeholder\":true,\"num\":2}]}]", "illegal attachments")]
    [TestCase("50-[\"a\"]", "illegal attachments")]
    [TestCase("60-/x,3[]", "illegal attachments")]
    [TestCase("51-[\"connect\",{\"_placeholder\":true,\"num\":0}]", "invalid payload")]
    [TestCase("61-{}", "invalid payload")]
    [TestCase("29999999999999999999[\"a\"]", "ack id out of range")]
    public void RefusesMalformedPackets(string message, string reason)
    {
        var status = new SocketIOJsonParser().CreateDecoder().Decode(Encoding.UTF8.GetBytes(message), false, out var packet, out var error);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(SocketDecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo(reason));
            Assert.That(packet, Is.Null);
        }
    }

    [Test]
    public void AcceptsPlaceholderLookalikesThatAreNotPlaceholders()
    {
        var decoder = new SocketIOJsonParser().CreateDecoder();
        var status = decoder.Decode("51-[\"a\",{\"_placeholder\":false,\"num\":9},{\"_placeholder\":\"true\"},{\"_placeholder\":true,\"num\":0}]"u8, false, out _, out var error);
        Assert.That(status, Is.EqualTo(SocketDecodeStatus.NeedMore), error);
    }

    [Test]
    public void HonoursMaxAttachments()
    {
        var decoder = new SocketIOJsonParser(maxAttachments: 2).CreateDecoder();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(decoder.Decode("53-[\"a\"]"u8, false, out _, out var error), Is.EqualTo(SocketDecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo("too many attachments"));
            Assert.That(decoder.Decode("52-[\"a\"]"u8, false, out _, out _), Is.EqualTo(SocketDecodeStatus.NeedMore));
        }
    }

    [Test]
    public void RefusesDeepNesting()
    {
        string json = "[\"a\"," + new string('[', 100) + new string(']', 100) + "]";
        var status = new SocketIOJsonParser().CreateDecoder().Decode(Encoding.UTF8.GetBytes("2" + json), false, out _, out var error);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(SocketDecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo("invalid JSON"));
        }
    }

    [Test]
    public void AssemblesBinaryPacketsFromSeveralMessagesAndCopiesThem()
    {
        var decoder = new SocketIOJsonParser().CreateDecoder();
        byte[] first = [1, 2];
        byte[] second = [3, 4, 5];
        string header = "52-/admin,7[\"baz\"," + Ph0 + ",{\"k\":[" + Ph1 + "]}]";

        Assert.That(decoder.Decode(Encoding.UTF8.GetBytes(header), false, out var packet, out _), Is.EqualTo(SocketDecodeStatus.NeedMore));
        Assert.That(packet, Is.Null);
        Assert.That(decoder.Decode(first, true, out packet, out _), Is.EqualTo(SocketDecodeStatus.NeedMore));
        first[0] = 99; // The decoder must have copied the message.
        Assert.That(decoder.Decode(second, true, out packet, out var error), Is.EqualTo(SocketDecodeStatus.Packet), error);
        second[0] = 99;

        AssertSame(packet, Packet(SocketPacketType.BinaryEvent, "/admin", 7, "[\"baz\"," + Ph0 + ",{\"k\":[" + Ph1 + "]}]", [1, 2], [3, 4, 5]));

        // The decoder is ready for the next packet.
        Assert.That(decoder.Decode("2[\"next\"]"u8, false, out packet, out _), Is.EqualTo(SocketDecodeStatus.Packet));
        AssertSame(packet, Packet(SocketPacketType.Event, json: "[\"next\"]"));
    }

    [Test]
    public void RefusesAnAttachmentWithoutAPendingPacket()
    {
        var decoder = new SocketIOJsonParser().CreateDecoder();
        using (Assert.EnterMultipleScope())
        {
            Assert.That(decoder.Decode(Bin12, true, out var packet, out var error), Is.EqualTo(SocketDecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo("binary message without a pending binary packet"));
            Assert.That(packet, Is.Null);
        }

        // Nor one too many: the binary packet was complete after its single attachment.
        Assert.That(decoder.Decode(Encoding.UTF8.GetBytes("51-[\"a\"," + Ph0 + "]"), false, out _, out _), Is.EqualTo(SocketDecodeStatus.NeedMore));
        Assert.That(decoder.Decode(Bin12, true, out _, out _), Is.EqualTo(SocketDecodeStatus.Packet));
        Assert.That(decoder.Decode(Bin34, true, out _, out _), Is.EqualTo(SocketDecodeStatus.Invalid));
    }

    [Test]
    public void RefusesTextWhileAttachmentsAreAwaited()
    {
        var decoder = new SocketIOJsonParser().CreateDecoder();
        Assert.That(decoder.Decode(Encoding.UTF8.GetBytes("52-[\"a\"," + Ph0 + "," + Ph1 + "]"), false, out _, out _), Is.EqualTo(SocketDecodeStatus.NeedMore));
        Assert.That(decoder.Decode(Bin12, true, out _, out _), Is.EqualTo(SocketDecodeStatus.NeedMore));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(decoder.Decode("2[\"b\"]"u8, false, out var packet, out var error), Is.EqualTo(SocketDecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo("text message while attachments are awaited"));
            Assert.That(packet, Is.Null);
        }
    }

    [Test]
    public void EncodedAttachmentsAreIndependentOfTheCallersList()
    {
        var list = new List<ReadOnlyMemory<byte>> { Bin12 };
        var packet = new SocketPacket { Type = SocketPacketType.Event, Data = Encoding.UTF8.GetBytes("[\"a\"," + Ph0 + "]"), Attachments = list };
        var encoded = new SocketIOJsonParser().Encode(packet);
        list.Clear();
        Assert.That(encoded.Attachments, Has.Count.EqualTo(1));
    }
}
