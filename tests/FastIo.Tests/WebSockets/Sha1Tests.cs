using System.Security.Cryptography;
using System.Text;
using FastIo.Transports.WebSockets;
using NUnit.Framework;

namespace FastIo.Tests.WebSockets;

[TestFixture]
public sealed class Sha1Tests
{
    // FIPS 180-2 appendix A and RFC 3174 §7.3 test vectors.
    [TestCase("", "da39a3ee5e6b4b0d3255bfef95601890afd80709")]
    [TestCase("abc", "a9993e364706816aba3e25717850c26c9cd0d89d")]
    [TestCase("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", "84983e441c3bd26ebaae4aa1f95129e5e54670f1")]
    public void MatchesPublishedVectors(string input, string expectedHex)
    {
        Assert.That(Hash(Encoding.ASCII.GetBytes(input)), Is.EqualTo(expectedHex));
    }

    [Test]
    public void MatchesPublishedMillionAVector()
    {
        Assert.That(Hash(Enumerable.Repeat((byte)'a', 1_000_000).ToArray()), Is.EqualTo("34aa973cd4c4daa4f61eeb2bdbad27316534016f"));
    }

    /// <summary>Every padding case: tails of 0–63 bytes, one and two padding blocks, several whole blocks.</summary>
    [Test]
    public void MatchesTheFrameworkForEveryLengthUpToFiveBlocks()
    {
        var random = new Random(6455);
        for (int length = 0; length <= 320; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
#pragma warning disable CA5350 // the reference implementation for the test
            string expected = Convert.ToHexStringLower(SHA1.HashData(data));
#pragma warning restore CA5350
            Assert.That(Hash(data), Is.EqualTo(expected), $"length {length}");
        }
    }

    [Test]
    public void RefusesADestinationShorterThanTheDigest()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Sha1.HashData([1, 2, 3], new byte[19]));
    }

    private static string Hash(byte[] data)
    {
        var digest = new byte[Sha1.HashLength];
        Sha1.HashData(data, digest);
        return Convert.ToHexStringLower(digest);
    }
}
