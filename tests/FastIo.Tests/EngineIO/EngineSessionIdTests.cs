using FastIo.EngineIO;
using NUnit.Framework;

namespace FastIo.Tests.EngineIO;

[TestFixture]
public class EngineSessionIdTests
{
    [TestCase(0, 0)]
    [TestCase(1, 0)]
    [TestCase(3, 7)]
    [TestCase(255, 65535)]
    [TestCase(17, 4242)]
    public void OwnerRoundTrips(int shard, int node)
    {
        for (var i = 0; i < 100; i++)
        {
            var sid = EngineSessionId.Create(shard, node);
            Assert.That(sid, Has.Length.EqualTo(EngineSessionId.Length));
            Assert.That(sid, Does.Match("^[A-Za-z0-9_-]{20}$"), "URL-safe, like engine.io's base64id");
            Assert.That(EngineSessionId.TryParse(sid, out var s, out var n), Is.True);
            Assert.That((s, n), Is.EqualTo((shard, node)));
        }
    }

    [Test]
    public void SidsOfOneOwnerDifferInTheirRandomPart()
    {
        var seen = new HashSet<string>();
        for (var i = 0; i < 10_000; i++)
        {
            Assert.That(seen.Add(EngineSessionId.Create(2, 9)), Is.True);
        }
    }

    [TestCase("")]
    [TestCase("short")]
    [TestCase("ABCDEFGHIJKLMNOPQRSTU")] // 21 characters
    [TestCase("!!!!EFGHIJKLMNOPQRST")] // not base64url
    [TestCase("AB+/EFGHIJKLMNOPQRST")] // standard base64, not URL-safe
    public void ForeignSidsAreNotParsed(string sid) =>
        Assert.That(EngineSessionId.TryParse(sid, out _, out _), Is.False);

    [Test]
    public void OutOfRangeOwnersAreRefused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => EngineSessionId.Create(256, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => EngineSessionId.Create(0, 65536));
        Assert.Throws<ArgumentOutOfRangeException>(() => EngineSessionId.Create(-1, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EngineOptions { NodeId = 70000 });
    }
}
