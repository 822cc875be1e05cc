using FastIo.EngineIO;
using NUnit.Framework;

namespace FastIo.Tests.EngineIO;

public class RandomIdBytesTests
{
    [Test]
    public void ConsecutiveIdsAcrossManyRefillsAreDistinctAndUseEveryByteValue()
    {
        var seen = new HashSet<string>();
        var values = new bool[256];
        Span<byte> id = stackalloc byte[15];
        for (var i = 0; i < 5_000; i++) // ~300 refills of the 256-byte buffer, at every offset
        {
            id.Clear();
            RandomIdBytes.Fill(id);
            Assert.That(seen.Add(Convert.ToHexString(id)), Is.True);
            foreach (var b in id)
            {
                values[b] = true;
            }
        }

        Assert.That(values, Has.All.True);
    }

    [TestCase(1)]
    [TestCase(255)]
    [TestCase(256)]
    [TestCase(257)]
    [TestCase(4096)]
    public void FillsAnyLength(int length)
    {
        var a = new byte[length];
        var b = new byte[length];
        RandomIdBytes.Fill(a);
        RandomIdBytes.Fill(b);
        Assert.That(length == 1 || !a.AsSpan().SequenceEqual(b), Is.True);
        Assert.That(length < 64 || a.Distinct().Count() > 16, Is.True, "not a constant or a short cycle");
    }
}
