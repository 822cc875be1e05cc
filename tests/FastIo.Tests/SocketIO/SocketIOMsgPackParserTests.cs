using System.Text;
using System.Text.Json;
using FastIo.SocketIO.Protocol;
using NUnit.Framework;
using static FastIo.Tests.SocketIO.PacketTestHelpers;

namespace FastIo.Tests.SocketIO;

/// <summary>
/// The msgpack parser against socket.io-msgpack-parser 3.0.2 (notepack.io 2.2.0). The hex fixtures were printed by
/// node with <c>Buffer.from(new Encoder().encode(packet)[0]).toString("hex")</c>; the JS packet is in each comment.
/// (Packets are passed as object: SocketPacket is internal.)
/// </summary>
[TestFixture]
public class SocketIOMsgPackParserTests
{
    // { type: 0, data: { sid: "oSO0OpakMV_3jnilAAAA" }, nsp: "/admin" }
    private const string ConnectAdmin = "83a47479706500a46461746181a3736964b46f534f304f70616b4d565f336a6e696c41414141a36e7370a62f61646d696e";

    // { type: 0, nsp: "/" }
    private const string ConnectMain = "82a47479706500a36e7370a12f";

    // { type: 1, nsp: "/admin" }
    private const string DisconnectAdmin = "82a47479706501a36e7370a62f61646d696e";

    // { type: 2, data: ["foo", 1, -1, 200, -100, 70000, -40000, 5000000000, 1.5, -0.25, true, false, null, { a: "b" }], nsp: "/" }
    private const string EventNumbers = "83a47479706502a4646174619ea3666f6f01ffccc8d09cce00011170d2ffff63c0cf000000012a05f200cb3ff8000000000000cbbfd0000000000000c3c2c081a161a162a36e7370a12f";

    // { type: 2, data: ["baz", Buffer.from([1, 2, 3, 4]), { x: [Buffer.from([5])] }], nsp: "/", id: 12 }
    private const string EventBinaryNested = "84a47479706502a46461746193a362617ac4040102030481a17891c40105a36e7370a12fa269640c";

    // { type: 3, data: [], nsp: "/admin", id: 13 }
    private const string AckAdmin = "84a47479706503a46461746190a36e7370a62f61646d696ea269640d";

    // { type: 4, data: { message: "Not authorized" }, nsp: "/" }
    private const string ConnectErrorMain = "83a47479706504a46461746181a76d657373616765ae4e6f7420617574686f72697a6564a36e7370a12f";

    // { type: 2, data: ["héllo € 😀", "x".repeat(40), Buffer.alloc(300, 7), [0, 1, ..., 16]], nsp: "/chat", id: 70000 }
    // (str 8, bin 16 and array 16; the 300 bytes of 07 are elided from the constant.)
    private const string EventSizesHead = "84a47479706502a46461746194af68c3a96c6c6f20e282ac20f09f9880d92878787878787878787878787878787878787878787878787878787878787878787878787878787878c5012c";
    private const string EventSizesTail = "dc0011000102030405060708090a0b0c0d0e0f10a36e7370a52f63686174a26964ce00011170";

    // { type: 2, data: ["ext", new Uint8Array([1, 2]), new Date(1700000000123), undefined], nsp: "/" }: what a Node
    // client using typed arrays and dates sends (notepack.io's type-0 extensions).
    private const string NodeExtensions = "83a47479706502a46461746194a3657874c702000102d7000000018bcfe5687bd40000a36e7370a12f";

    private static readonly byte[] Bin1234 = [1, 2, 3, 4];
    private static readonly byte[] Bin5 = [5];

    private static string EventSizes => EventSizesHead + string.Concat(Enumerable.Repeat("07", 300)) + EventSizesTail;

    private static IEnumerable<TestCaseData> Fixtures()
    {
        yield return new TestCaseData(Packet(SocketPacketType.Connect, "/admin", json: "{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}"), ConnectAdmin).SetName("Connect admin");
        yield return new TestCaseData(Packet(SocketPacketType.Connect), ConnectMain).SetName("Connect main");
        yield return new TestCaseData(Packet(SocketPacketType.Disconnect, "/admin"), DisconnectAdmin).SetName("Disconnect admin");
        yield return new TestCaseData(Packet(SocketPacketType.Event, json: "[\"foo\",1,-1,200,-100,70000,-40000,5000000000,1.5,-0.25,true,false,null,{\"a\":\"b\"}]"), EventNumbers).SetName("Event numbers");
        yield return new TestCaseData(Packet(SocketPacketType.BinaryEvent, "/", 12, "[\"baz\"," + Ph0 + ",{\"x\":[" + Ph1 + "]}]", Bin1234, Bin5), EventBinaryNested).SetName("Event nested binary");
        yield return new TestCaseData(Packet(SocketPacketType.Ack, "/admin", 13, "[]"), AckAdmin).SetName("Ack admin");
        yield return new TestCaseData(Packet(SocketPacketType.ConnectError, json: "{\"message\":\"Not authorized\"}"), ConnectErrorMain).SetName("ConnectError main");
        yield return new TestCaseData(
            Packet(SocketPacketType.BinaryEvent, "/chat", 70000, "[\"héllo € 😀\",\"" + new string('x', 40) + "\"," + Ph0 + ",[0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]]", Enumerable.Repeat((byte)7, 300).ToArray()),
            EventSizes).SetName("Event sizes");
    }

    [TestCaseSource(nameof(Fixtures))]
    public void EncodesLikeSocketIOMsgPackParser(object boxed, string hex)
    {
        var encoded = new SocketIOMsgPackParser().Encode((SocketPacket)boxed);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Convert.ToHexStringLower(encoded.First.Span), Is.EqualTo(hex));
            Assert.That(encoded.FirstIsBinary, Is.True);
            Assert.That(encoded.Attachments, Is.Empty);
        }
    }

    [TestCaseSource(nameof(Fixtures))]
    public void DecodesSocketIOMsgPackParserOutput(object boxed, string hex)
    {
        var status = new SocketIOMsgPackParser().CreateDecoder().Decode(Convert.FromHexString(hex), true, out var packet, out var error);
        Assert.That(status, Is.EqualTo(SocketDecodeStatus.Packet), error);
        AssertSame(packet, (SocketPacket)boxed);
    }

    [Test]
    public void EncodesNumbersAsJavaScriptValuesAndUnescapesStrings()
    {
        // 1.0, 2e2 and -1E0 are integral JS numbers, so notepack.io writes them as ints; escapes are JSON's business.
        var packet = Packet(SocketPacketType.Event, json: "[\"f\\u006fo\", 1.0, -1E0, 2e2, -100, 70000, -40000, 5000000000, 1.5, -0.25, true, false, null, {\"\\u0061\":\"b\"}]");
        var encoded = new SocketIOMsgPackParser().Encode(packet);
        Assert.That(Convert.ToHexStringLower(encoded.First.Span), Is.EqualTo(EventNumbers));
    }

    [Test]
    public void DecodesNodeExtensionsAsJsonWould()
    {
        var status = new SocketIOMsgPackParser().CreateDecoder().Decode(Convert.FromHexString(NodeExtensions), true, out var packet, out var error);
        Assert.That(status, Is.EqualTo(SocketDecodeStatus.Packet), error);
        AssertSame(packet, Packet(SocketPacketType.BinaryEvent, json: "[\"ext\"," + Ph0 + ",\"2023-11-14T22:13:20.123Z\",null]", attachments: [1, 2]));
    }

    private static IEnumerable<TestCaseData> RoundTripCases()
    {
        yield return new TestCaseData(Packet(SocketPacketType.Connect, "/admin", json: "{\"token\":\"123\",\"n\":{\"deep\":[1,2.5,\"x\"]}}"));
        yield return new TestCaseData(Packet(SocketPacketType.Disconnect));
        yield return new TestCaseData(Packet(SocketPacketType.Event, "/a", 0, "[\"e\",{},[],\"\",-9223372036854775808,18446744073709551615,0.125,1.7976931348623157E+308]"));
        yield return new TestCaseData(Packet(SocketPacketType.Ack, id: 99, json: "[null,\"ü\"]"));
        yield return new TestCaseData(Packet(SocketPacketType.ConnectError, "/x", json: "\"refused\""));
        yield return new TestCaseData(Packet(SocketPacketType.BinaryEvent, "/bin", 5, "[\"up\",{\"files\":[" + Ph0 + ",{\"meta\":" + Ph1 + "}]}]", Bin1234, Bin5));
        yield return new TestCaseData(Packet(SocketPacketType.BinaryAck, "/", 6, "[" + Ph1 + "," + Ph0 + "]", Bin1234, Bin5));
        yield return new TestCaseData(Packet(SocketPacketType.BinaryAck, "/", 7, "[" + Ph0 + "]", new byte[70_000]));
    }

    [TestCaseSource(nameof(RoundTripCases))]
    public void RoundTrips(object boxed)
    {
        var packet = (SocketPacket)boxed;
        var parser = new SocketIOMsgPackParser();
        var encoded = parser.Encode(packet);
        var status = parser.CreateDecoder().Decode(encoded.First.Span, true, out var decoded, out var error);
        Assert.That(status, Is.EqualTo(SocketDecodeStatus.Packet), error);

        // Binary values come back in document order, so compare attachments through the placeholders they fill.
        Assert.That(Resolve(decoded!), Is.EqualTo(Resolve(packet)));
        using (Assert.EnterMultipleScope())
        {
            Assert.That(decoded!.Type, Is.EqualTo(packet.Type));
            Assert.That(decoded.Namespace, Is.EqualTo(packet.Namespace));
            Assert.That(decoded.AckId, Is.EqualTo(packet.AckId));
        }
    }

    [Test]
    public void PlaceholdersWithoutAnAttachmentStayMaps()
    {
        // A JSON client may send a placeholder-shaped object in a plain EVENT; socket.io-parser leaves it an object.
        var packet = Packet(SocketPacketType.Event, json: "[\"a\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":false,\"num\":0}]");
        var parser = new SocketIOMsgPackParser();
        parser.CreateDecoder().Decode(parser.Encode(packet).First.Span, true, out var decoded, out _);
        AssertSame(decoded, packet);
    }

    [Test]
    public void DecodedBinaryEventsReencodeWithTheJsonParser()
    {
        new SocketIOMsgPackParser().CreateDecoder().Decode(Convert.FromHexString(EventBinaryNested), true, out var packet, out _);
        var encoded = new SocketIOJsonParser().Encode(packet!);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(Text(encoded.First), Is.EqualTo("52-12[\"baz\"," + Ph0 + ",{\"x\":[" + Ph1 + "]}]"));
            Assert.That(encoded.Attachments.Select(a => a.ToArray()), Is.EqualTo(new[] { Bin1234, Bin5 }));
        }
    }

    [Test]
    public void AcceptsWhatTheReferenceAccepts()
    {
        var decoder = new SocketIOMsgPackParser().CreateDecoder();
        using (Assert.EnterMultipleScope())
        {
            // { id: 3, extra: 1, nsp: "/", data: [], type: 3.0 }: any key order, unknown keys, an integral float type,
            // and an empty array (the msgpack parser only wants an array).
            Assert.That(decoder.Decode(Convert.FromHexString("85a26964 03a5657874726101a36e7370a12fa46461746190a474797065cb4008000000000000".Replace(" ", "", StringComparison.Ordinal)), true, out var packet, out var error), Is.EqualTo(SocketDecodeStatus.Packet), error);
            AssertSame(packet, Packet(SocketPacketType.Ack, id: 3, json: "[]"));

            // { type: 0, data: undefined, nsp: "/" } with notepack.io's undefined: no payload.
            Assert.That(decoder.Decode(Convert.FromHexString("83a47479706500a464617461d40000a36e7370a12f"), true, out packet, out error), Is.EqualTo(SocketDecodeStatus.Packet), error);
            AssertSame(packet, Packet(SocketPacketType.Connect));

            // float 32, NaN and a uint64 above long.MaxValue: { type: 2, nsp: "/", data: ["n", 0.5f, NaN, 2^64-1] }
            Assert.That(decoder.Decode(Convert.FromHexString("83a47479706502a36e7370a12fa46461746194a16eca3f000000cb7ff8000000000000cfffffffffffffffff"), true, out packet, out error), Is.EqualTo(SocketDecodeStatus.Packet), error);
            AssertSame(packet, Packet(SocketPacketType.Event, json: "[\"n\",0.5,null,18446744073709551615]"));
        }
    }

    [TestCase("82a47479706502a36e7370a12f", false, "text message in msgpack format", TestName = "Text message")]
    [TestCase("92a474797065a36e7370", true, "packet is not a map", TestName = "Array at the top")]
    [TestCase("c0", true, "packet is not a map", TestName = "Nil at the top")]
    [TestCase("", true, "malformed msgpack", TestName = "Empty message")]
    [TestCase("83a47479706502a464617461", true, "malformed msgpack", TestName = "Truncated")]
    [TestCase("84a47479706502a46461746191a178a36e7370a12f", true, "malformed msgpack", TestName = "Map header says four entries, three given")]
    [TestCase("83a46461746191a178a36e7370a12fa474797065c3", true, "invalid packet type", TestName = "Boolean type")]
    [TestCase("83a47479706502a46461746191a178a36e7370a12fc0", true, "trailing bytes", TestName = "Trailing bytes")]
    [TestCase("82a47479706505a36e7370a12f", true, "invalid packet type", TestName = "Type 5 (binary types do not exist here)")]
    [TestCase("82a474797065ffa36e7370a12f", true, "invalid packet type", TestName = "Type -1")]
    [TestCase("82a474797065cb3ff8000000000000a36e7370a12f", true, "invalid packet type", TestName = "Type 1.5")]
    [TestCase("82a474797065a132a36e7370a12f", true, "invalid packet type", TestName = "Type as a string")]
    [TestCase("81a36e7370a12f", true, "invalid packet type", TestName = "Type missing")]
    [TestCase("81a47479706500", true, "invalid namespace", TestName = "Namespace missing")]
    [TestCase("82a47479706500a36e7370c0", true, "invalid namespace", TestName = "Namespace nil")]
    [TestCase("83a47479706502a46461746180a36e7370a12f", true, "invalid payload", TestName = "Event data is a map")]
    [TestCase("82a47479706502a36e7370a12f", true, "invalid payload", TestName = "Event data missing")]
    [TestCase("83a47479706503a464617461a178a36e7370a12f", true, "invalid payload", TestName = "Ack data is a string")]
    [TestCase("83a47479706500a46461746190a36e7370a12f", true, "invalid payload", TestName = "Connect data is an array")]
    [TestCase("83a47479706500a464617461c0a36e7370a12f", true, "invalid payload", TestName = "Connect data is nil")]
    [TestCase("83a47479706501a46461746180a36e7370a12f", true, "invalid payload", TestName = "Disconnect with data")]
    [TestCase("83a47479706504a46461746190a36e7370a12f", true, "invalid payload", TestName = "ConnectError data is an array")]
    [TestCase("84a47479706502a46461746190a36e7370a12fa26964a131", true, "invalid packet id", TestName = "Id is a string")]
    [TestCase("84a47479706502a46461746190a36e7370a12fa26964ff", true, "invalid packet id", TestName = "Id is negative")]
    [TestCase("84a47479706502a46461746190a36e7370a12fa26964cb3fe0000000000000", true, "invalid packet id", TestName = "Id is 0.5")]
    [TestCase("83a47479706502a46461746192a178d40500a36e7370a12f", true, "unsupported msgpack extension", TestName = "Extension type 5")]
    [TestCase("83a47479706502a46461746192a178c7ff00", true, "malformed msgpack", TestName = "Truncated extension")]
    [TestCase("83a47479706502a46461746192a1788101a178a36e7370a12f", true, "map key is not a string", TestName = "Integer map key")]
    [TestCase("83a47479706502a46461746192a178a2c328a36e7370a12f", true, "invalid UTF-8 string", TestName = "Invalid UTF-8")]
    [TestCase("83a47479706502a46461746191c1a36e7370a12f", true, "malformed msgpack", TestName = "Reserved code c1")]
    public void RefusesMalformedPackets(string hex, bool isBinary, string reason)
    {
        var status = new SocketIOMsgPackParser().CreateDecoder().Decode(Convert.FromHexString(hex), isBinary, out var packet, out var error);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(SocketDecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo(reason));
            Assert.That(packet, Is.Null);
        }
    }

    [Test]
    public void RefusesDeepNestingWithoutExhaustingTheStack()
    {
        // 100 000 nested arrays: once as data (converted, depth-limited), once under an ignored key (skipped).
        var nested = Enumerable.Repeat((byte)0x91, 100_000).Append((byte)0xc0).ToArray();
        byte[] head = Convert.FromHexString("83a47479706502a36e7370a12fa464617461");
        byte[] asData = [.. head, 0x92, 0xa1, 0x78, .. nested];
        var status = new SocketIOMsgPackParser().CreateDecoder().Decode(asData, true, out _, out var error);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(status, Is.EqualTo(SocketDecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo("payload nested too deeply"));
        }

        byte[] asExtra = [.. Convert.FromHexString("84a47479706502a36e7370a12fa46461746191a178a178"), .. nested];
        status = new SocketIOMsgPackParser().CreateDecoder().Decode(asExtra, true, out var packet, out error);
        Assert.That(status, Is.EqualTo(SocketDecodeStatus.Packet), error);
        AssertSame(packet, Packet(SocketPacketType.Event, json: "[\"x\"]"));
    }

    [Test]
    public void EscapesWhatJsonRequires()
    {
        // { type: 2, data: ["q", "a\"b\nc\\"], nsp: "/" }
        var status = new SocketIOMsgPackParser().CreateDecoder().Decode(Convert.FromHexString("83a47479706502a46461746192a171a66122620a635ca36e7370a12f"), true, out var packet, out var error);
        Assert.That(status, Is.EqualTo(SocketDecodeStatus.Packet), error);
        AssertSame(packet, Packet(SocketPacketType.Event, json: "[\"q\",\"a\\\"b\\nc\\\\\"]"));
    }

    [Test]
    public void EncodesLoneSurrogatesAsReplacementCharacters()
    {
        // JSON.parse accepts "\ud800" from a JSON client; a msgpack client then gets U+FFFD instead of a failed encode.
        var packet = Packet(SocketPacketType.Event, json: "[\"a\\ud800b\",\"\\udc00\\n\",\"\\ud83d\\ude00\\ud800\"]");
        var parser = new SocketIOMsgPackParser();
        var status = parser.CreateDecoder().Decode(parser.Encode(packet).First.Span, true, out var decoded, out var error);
        Assert.That(status, Is.EqualTo(SocketDecodeStatus.Packet), error);
        using var document = JsonDocument.Parse(decoded!.Data);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(document.RootElement[0].GetString(), Is.EqualTo("a\uFFFDb"));
            Assert.That(document.RootElement[1].GetString(), Is.EqualTo("\uFFFD\n"));
            Assert.That(document.RootElement[2].GetString(), Is.EqualTo("😀\uFFFD"));
        }
    }

    [Test]
    public void HonoursMaxAttachments()
    {
        var bytes = Convert.FromHexString(EventBinaryNested); // Two binary values.
        using (Assert.EnterMultipleScope())
        {
            Assert.That(new SocketIOMsgPackParser(maxAttachments: 1).CreateDecoder().Decode(bytes, true, out _, out var error), Is.EqualTo(SocketDecodeStatus.Invalid));
            Assert.That(error, Is.EqualTo("too many attachments"));
            Assert.That(new SocketIOMsgPackParser(maxAttachments: 2).CreateDecoder().Decode(bytes, true, out _, out _), Is.EqualTo(SocketDecodeStatus.Packet));
            Assert.That(() => new SocketIOMsgPackParser(-1), Throws.InstanceOf<ArgumentOutOfRangeException>());
        }
    }

    [Test]
    public void MainNamespaceIsNotAllocated()
    {
        new SocketIOMsgPackParser().CreateDecoder().Decode(Convert.FromHexString(ConnectMain), true, out var packet, out _);
        Assert.That(packet!.Namespace, Is.SameAs("/"));
    }

    [Test]
    public void DecodedStringsStayReadableUtf8()
    {
        new SocketIOMsgPackParser().CreateDecoder().Decode(Convert.FromHexString(EventSizes), true, out var packet, out _);
        using var document = JsonDocument.Parse(packet!.Data);
        Assert.That(document.RootElement[0].GetString(), Is.EqualTo("héllo € 😀"));
        Assert.That(Encoding.UTF8.GetString(packet.Data.Span), Does.StartWith("[\"héllo € 😀\""));
    }

    /// <summary>The payload with every placeholder replaced by its attachment's hex, for order-independent comparison.</summary>
    private static string Resolve(SocketPacket packet)
    {
        string json = Text(packet.Data);
        for (int i = 0; i < packet.Attachments.Count; i++)
        {
            json = json.Replace("{\"_placeholder\":true,\"num\":" + i + "}", "\"bin:" + Convert.ToHexStringLower(packet.Attachments[i].Span) + "\"", StringComparison.Ordinal);
        }

        return json;
    }
}
