using System.Net;
using FastIo.EngineIO;
using NUnit.Framework;

namespace FastIo.Tests.EngineIO;

/// <summary>The packed snapshot a host hands in must read back exactly as the one built from strings.</summary>
[TestFixture]
public sealed class EngineRequestInfoTests
{
    private static readonly EngineRequestInfo.PackWriter<(string Url, KeyValuePair<string, string>[] Headers)> s_write = Write;

    [Test]
    public void PackedSnapshotReadsBackItsUrlQueryAndFields()
    {
        KeyValuePair<string, string>[] fields =
        [
            new("Host", "example.org:3000"),
            new("X-Empty", string.Empty),
            new("x-latin", "caf\u00e9 \u00ff\tend"),
            new("Cookie", "a=1; b=2"),
            new("cookie", "second"),
        ];
        var remote = new IPEndPoint(IPAddress.Loopback, 4242);
        var info = EngineRequestInfo.FromPacked("GET", ("/socket.io/?EIO=4&transport=websocket&x=a%20b", fields), s_write, remote, secure: true);

        Assert.That(info.Method, Is.EqualTo("GET"));
        Assert.That(info.Url, Is.EqualTo("/socket.io/?EIO=4&transport=websocket&x=a%20b"));
        Assert.That(info.QueryString, Is.EqualTo("EIO=4&transport=websocket&x=a%20b"));
        Assert.That(info.Query("x"), Is.EqualTo("a b"));
        Assert.That(info.Headers, Is.EqualTo(fields));
        Assert.That(info.Header("COOKIE"), Is.EqualTo("a=1; b=2"));
        Assert.That(info.Header("x-empty"), Is.EqualTo(string.Empty));
        Assert.That(info.Header("Origin"), Is.Null);
        Assert.That(info.RemoteEndPoint, Is.EqualTo(remote));
        Assert.That(info.Secure, Is.True);
    }

    [Test]
    public void PackedSnapshotWithoutFieldsOrQuery()
    {
        var info = EngineRequestInfo.FromPacked("POST", ("/engine.io/", Array.Empty<KeyValuePair<string, string>>()), s_write, null, secure: false);
        Assert.That(info.Headers, Is.Empty);
        Assert.That(info.QueryString, Is.Empty);
        Assert.That(info.Url, Is.EqualTo("/engine.io/"));
        Assert.That(info.Header("Host"), Is.Null);
    }

    [Test]
    public void SnapshotFromStringsIsUnchanged()
    {
        var info = new EngineRequestInfo("GET", "/p?a=1", [new("Host", "h")], null, false);
        Assert.That(info.QueryString, Is.EqualTo("a=1"));
        Assert.That(info.Header("host"), Is.EqualTo("h"));
        Assert.That(info.Url, Is.EqualTo("/p?a=1"));
    }

    private static void Write(ref EngineRequestInfo.Packer packer, (string Url, KeyValuePair<string, string>[] Headers) state)
    {
        packer.Add(state.Url);
        foreach (var (name, value) in state.Headers)
        {
            packer.Add(name);
            packer.Add(value);
        }
    }
}
