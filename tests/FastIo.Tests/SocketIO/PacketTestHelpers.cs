using System.Text;
using FastIo.SocketIO.Protocol;
using NUnit.Framework;

namespace FastIo.Tests.SocketIO;

/// <summary>Builds neutral packets and compares them field by field.</summary>
internal static class PacketTestHelpers
{
    public const string Ph0 = "{\"_placeholder\":true,\"num\":0}";
    public const string Ph1 = "{\"_placeholder\":true,\"num\":1}";

    public static SocketPacket Packet(SocketPacketType type, string nsp = "/", long id = -1, string? json = null, params byte[][] attachments) => new()
    {
        Type = type,
        Namespace = nsp,
        AckId = id,
        Data = json is null ? ReadOnlyMemory<byte>.Empty : Encoding.UTF8.GetBytes(json),
        Attachments = attachments.Select(a => (ReadOnlyMemory<byte>)a).ToArray(),
    };

    public static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    public static void AssertSame(SocketPacket? actual, SocketPacket expected)
    {
        Assert.That(actual, Is.Not.Null);
        using (Assert.EnterMultipleScope())
        {
            Assert.That(actual!.Type, Is.EqualTo(expected.Type));
            Assert.That(actual.Namespace, Is.EqualTo(expected.Namespace));
            Assert.That(actual.AckId, Is.EqualTo(expected.AckId));
            Assert.That(Text(actual.Data), Is.EqualTo(Text(expected.Data)));
            Assert.That(actual.Attachments.Select(a => a.ToArray()), Is.EqualTo(expected.Attachments.Select(a => a.ToArray())));
        }
    }
}
