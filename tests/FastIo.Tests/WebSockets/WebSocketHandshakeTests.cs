using FastIo.Transports.WebSockets;
using NUnit.Framework;

namespace FastIo.Tests.WebSockets;

[TestFixture]
public sealed class WebSocketHandshakeTests
{
    private const string SampleKey = "dGhlIHNhbXBsZSBub25jZQ==";

    [Test]
    public void Rfc6455SampleKeyProducesSampleAccept()
    {
        bool ok = WebSocketHandshake.TryAccept("GET", "websocket", "Upgrade", "13", SampleKey, out string accept, out string? error);

        Assert.Multiple(() =>
        {
            Assert.That(ok, Is.True);
            Assert.That(error, Is.Null);
            Assert.That(accept, Is.EqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        });
    }

    [TestCase("websocket", "Upgrade")]
    [TestCase("WebSocket", "upgrade")]
    [TestCase("websocket", "keep-alive, Upgrade")]
    [TestCase("websocket", "Upgrade,keep-alive")]
    [TestCase(" WEBSOCKET ", "  keep-alive ,  UPGRADE  ")]
    [TestCase("h2c, websocket", "HTTP2-Settings, Upgrade")]
    public void AcceptsTokenListsCaseInsensitively(string upgrade, string connection)
    {
        bool ok = WebSocketHandshake.TryAccept("GET", upgrade, connection, "13", SampleKey, out string accept, out _);

        Assert.Multiple(() =>
        {
            Assert.That(ok, Is.True);
            Assert.That(accept, Is.EqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        });
    }

    [TestCase("POST", "websocket", "Upgrade", "13", SampleKey, TestName = "Method not GET")]
    [TestCase("get", "websocket", "Upgrade", "13", SampleKey, TestName = "Method lower case")]
    [TestCase("GET", null, "Upgrade", "13", SampleKey, TestName = "Upgrade missing")]
    [TestCase("GET", "h2c", "Upgrade", "13", SampleKey, TestName = "Upgrade wrong token")]
    [TestCase("GET", "websockets", "Upgrade", "13", SampleKey, TestName = "Upgrade token must match whole")]
    [TestCase("GET", "websocket", null, "13", SampleKey, TestName = "Connection missing")]
    [TestCase("GET", "websocket", "keep-alive", "13", SampleKey, TestName = "Connection without upgrade")]
    [TestCase("GET", "websocket", "upgraded", "13", SampleKey, TestName = "Connection token must match whole")]
    [TestCase("GET", "websocket", "Upgrade", null, SampleKey, TestName = "Version missing")]
    [TestCase("GET", "websocket", "Upgrade", "8", SampleKey, TestName = "Version 8")]
    [TestCase("GET", "websocket", "Upgrade", "13, 8", SampleKey, TestName = "Version list")]
    [TestCase("GET", "websocket", "Upgrade", "13", null, TestName = "Key missing")]
    [TestCase("GET", "websocket", "Upgrade", "13", "", TestName = "Key empty")]
    [TestCase("GET", "websocket", "Upgrade", "13", "not base64 at all!!!!!!!", TestName = "Key not base64")]
    [TestCase("GET", "websocket", "Upgrade", "13", "AAAAAAAAAAAAAAAAAAAA", TestName = "Key decodes to 15 bytes")]
    [TestCase("GET", "websocket", "Upgrade", "13", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=", TestName = "Key decodes to 20 bytes")]
    public void RejectsInvalidRequests(string method, string? upgrade, string? connection, string? version, string? key)
    {
        bool ok = WebSocketHandshake.TryAccept(method, upgrade, connection, version, key, out string accept, out string? error);

        Assert.Multiple(() =>
        {
            Assert.That(ok, Is.False);
            Assert.That(error, Is.Not.Null.And.Not.Empty);
            Assert.That(accept, Is.Empty);
        });
    }

    [Test]
    public void KeyWithSurroundingWhitespaceIsTrimmed()
    {
        bool ok = WebSocketHandshake.TryAccept("GET", "websocket", "Upgrade", " 13 ", " " + SampleKey + " ", out string accept, out _);

        Assert.Multiple(() =>
        {
            Assert.That(ok, Is.True);
            Assert.That(accept, Is.EqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        });
    }
}
