using System.Text;
using System.Text.Json;
using FastIo.Adapters.Redis;
using FastIo.SocketIO;
using FastIo.SocketIO.Protocol;
using NUnit.Framework;

namespace FastIo.Tests.Redis;

/// <summary>Byte-exact checks against the captures of ../shared/docs/redis-wire.md (Node 8.3 adapter, 5.1 emitter).</summary>
public class RedisWireTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    [Test]
    public void RoomBroadcastMatchesTheCapturedAdapterBytes()
    {
        var packet = PacketWriter.Event("/", "hello", [1], -1, Json);
        var bytes = RedisWire.EncodeBroadcast("ruVCQa", packet, new BroadcastOptions { Rooms = new HashSet<string> { "room1" } });
        Assert.That(Convert.ToHexStringLower(bytes), Is.EqualTo(
            "93a672755643516183a47479706502a46461746192a568656c6c6f01a36e7370a12f83a5726f6f6d7391a5726f6f6d31a665786365707490a5666c61677380"));
    }

    [Test]
    public void EmitterBroadcastMatchesTheCapturedEmitterBytes()
    {
        var packet = PacketWriter.Event("/", "hello", [1], -1, Json);
        var bytes = RedisWire.EncodeBroadcast("emitter", packet, new BroadcastOptions { Rooms = new HashSet<string> { "room1" } }, emitterOrder: true);
        Assert.That(Convert.ToHexStringLower(bytes), Is.EqualTo(
            "93a7656d697474657283a47479706502a46461746192a568656c6c6f01a36e7370a12f83a5726f6f6d7391a5726f6f6d31a5666c61677380a665786365707490"));
    }

    [Test]
    public void AckedBroadcastRequestMatchesTheCapturedBytes()
    {
        var packet = PacketWriter.Event("/", "ask", [21], 7, Json);
        var bytes = RedisWire.EncodeBroadcastRequest("ruVCQa", "tc-SJC", packet, new BroadcastOptions { Timeout = TimeSpan.FromSeconds(1) });
        Assert.That(Convert.ToHexStringLower(bytes), Is.EqualTo(
            "85a3756964a6727556435161a9726571756573744964a674632d534a43a47479706507a67061636b657483a47479706502a46461746192a361736b15a36e7370a12fa46f70747383a5726f6f6d7390a665786365707490a5666c61677381a774696d656f7574cd03e8"));
    }

    [Test]
    public void BroadcastAckResponseMatchesTheCapturedBytes()
    {
        var bytes = RedisWire.EncodeMsgPackMap([("type", 9), ("requestId", "tc-SJC")], "packet", "{\"answer\":42}"u8, Array.Empty<ReadOnlyMemory<byte>>());
        Assert.That(Convert.ToHexStringLower(bytes), Is.EqualTo("83a47479706509a9726571756573744964a674632d534a43a67061636b657481a6616e737765722a"));
    }

    [Test]
    public void BinaryTravelsInlineAsBinWithPacketType2()
    {
        var packet = PacketWriter.Event("/", "bin", [new byte[] { 1, 2, 3 }, new { nested = new byte[] { 4, 5 } }], -1, WithBinary());
        Assert.That(packet.Attachments, Has.Count.EqualTo(2));
        var hex = Convert.ToHexStringLower(RedisWire.EncodeBroadcast("abcdef", packet, new BroadcastOptions()));
        Assert.That(hex, Does.Contain("a474797065" + "02"));
        Assert.That(hex, Does.Contain("a362696e" + "c403010203" + "81a66e6573746564" + "c4020405"));
        Assert.That(hex, Does.Not.Contain(Convert.ToHexStringLower("_placeholder"u8)));
    }

    [Test]
    public void DecodesNodeTypesDatesBinaryAndNumericRooms()
    {
        // io.to(123).emit('types',1.5,-1,300,70000,2**40,'é',new Date(0),[],<Buffer 09>) as Node's notepack writes it
        var hex = "93a6727556435161" + "83a474797065" + "02" + "a464617461" + "9a" + "a57479706573" +
                  "cb3ff8000000000000" + "ff" + "cd012c" + "ce00011170" + "cf0000010000000000" + "a2c3a9" + "d6ff00000000" + "90" + "c40109" +
                  "a36e7370a12f" + "83a5726f6f6d73917b" + "a665786365707491a3626164" + "a5666c61677381a8766f6c6174696c65c3";
        var decoded = BroadcastMessage.Decode(Convert.FromHexString(hex), "zzzzzz", "/", out var error);
        Assert.That(error, Is.Null);
        Assert.That(decoded, Is.Not.Null);
        Assert.That(Encoding.UTF8.GetString(decoded!.Packet.Data.Span), Is.EqualTo(
            "[\"types\",1.5,-1,300,70000,1099511627776,\"é\",\"1970-01-01T00:00:00.000Z\",[],{\"_placeholder\":true,\"num\":0}]"));
        Assert.That(decoded.Packet.Type, Is.EqualTo(SocketPacketType.BinaryEvent));
        Assert.That(decoded.Packet.Attachments[0].ToArray(), Is.EqualTo(new byte[] { 9 }));
        Assert.That(decoded.Options.Rooms, Is.EquivalentTo(new[] { "123" }));
        Assert.That(decoded.Options.Except, Is.EquivalentTo(new[] { "bad" }));
        Assert.That(decoded.Options.Volatile, Is.True);
    }

    [Test]
    public void OwnUidIsSkippedSilentlyAndGarbageIsReported()
    {
        var own = RedisWire.EncodeBroadcast("ownuid", PacketWriter.Event("/", "x", [], -1, Json), new BroadcastOptions());
        Assert.That(BroadcastMessage.Decode(own, "ownuid", "/", out var error), Is.Null);
        Assert.That(error, Is.Null);
        Assert.That(BroadcastMessage.Decode(own, "other", "/admin", out error), Is.Null, "another namespace");
        Assert.That(error, Is.Null);

        foreach (var garbage in new[] { "{\"json\":1}"u8.ToArray(), new byte[] { 0x93 }, new byte[] { 0x92, 0xa1, 0x61, 0xc0 }, Array.Empty<byte>(), new byte[] { 0xc1 } })
        {
            Assert.That(BroadcastMessage.Decode(garbage, "other", "/", out error), Is.Null);
            Assert.That(error, Is.Not.Null, Convert.ToHexString(garbage));
        }
    }

    [Test]
    public void RequestsParseAsJsonOrMsgPack()
    {
        using (var json = RedisWire.Parse("{\"uid\":\"ruVCQa\",\"requestId\":\"y8ucKQ\",\"type\":1}"u8.ToArray(), out var none))
        {
            Assert.That(json.RootElement.GetProperty("type").GetInt32(), Is.EqualTo(1));
            Assert.That(none, Is.Empty);
        }

        var msgpack = RedisWire.EncodeMsgPackMap([("type", 9), ("requestId", "r")], "packet", "{\"_placeholder\":true,\"num\":0}"u8, [new byte[] { 7 }]);
        using var doc = RedisWire.Parse(msgpack, out var attachments);
        Assert.That(doc.RootElement.GetProperty("packet").GetProperty("_placeholder").GetBoolean(), Is.True);
        Assert.That(attachments[0].ToArray(), Is.EqualTo(new byte[] { 7 }));
        Assert.Throws<FormatException>(() => RedisWire.Parse(new byte[] { 0x81, 0xa1 }, out _).Dispose());
    }

    private static JsonSerializerOptions WithBinary()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        BinaryPlaceholders.Register(options);
        return options;
    }
}
