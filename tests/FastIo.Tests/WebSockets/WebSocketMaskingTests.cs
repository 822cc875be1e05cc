using System.Text;
using FastIo.Transports.WebSockets;
using NUnit.Framework;

namespace FastIo.Tests.WebSockets;

[TestFixture]
public sealed class WebSocketMaskingTests
{
    private static readonly byte[] Key = [0x12, 0x9A, 0xF0, 0x07];

    [Test]
    public void MatchesScalarReferenceForAllLengthsAndOffsets()
    {
        var random = new Random(6455);
        uint mask = WebSocketMasking.ReadMask(Key);
        for (int length = 0; length <= 300; length++)
        {
            for (int offset = 0; offset < 4; offset++)
            {
                var data = new byte[length];
                random.NextBytes(data);
                byte[] expected = Reference(data, offset);

                int next = WebSocketMasking.Apply(data, mask, offset);

                Assert.That(data, Is.EqualTo(expected), $"length {length} offset {offset}");
                Assert.That(next, Is.EqualTo((offset + length) % 4));
            }
        }
    }

    [Test]
    public void PiecewiseApplicationCarriesTheOffsetAcrossSegments()
    {
        var random = new Random(42);
        uint mask = WebSocketMasking.ReadMask(Key);
        var original = new byte[257];
        random.NextBytes(original);
        byte[] expected = Reference(original, 0);

        for (int cut1 = 0; cut1 <= original.Length; cut1 += 7)
        {
            for (int cut2 = cut1; cut2 <= original.Length; cut2 += 13)
            {
                byte[] data = (byte[])original.Clone();
                int offset = WebSocketMasking.Apply(data.AsSpan(0, cut1), mask, 0);
                offset = WebSocketMasking.Apply(data.AsSpan(cut1, cut2 - cut1), mask, offset);
                WebSocketMasking.Apply(data.AsSpan(cut2), mask, offset);

                Assert.That(data, Is.EqualTo(expected), $"cuts {cut1},{cut2}");
            }
        }
    }

    [Test]
    public void MaskingTwiceRestoresTheData()
    {
        byte[] data = Encoding.UTF8.GetBytes("The quick brown fox jumps over the lazy dog, twice over and once more.");
        byte[] copy = (byte[])data.Clone();
        uint mask = WebSocketMasking.ReadMask(Key);

        WebSocketMasking.Apply(data, mask, 3);
        Assert.That(data, Is.Not.EqualTo(copy));
        WebSocketMasking.Apply(data, mask, 3);
        Assert.That(data, Is.EqualTo(copy));
    }

    private static byte[] Reference(byte[] data, int offset)
    {
        var result = new byte[data.Length];
        for (int i = 0; i < data.Length; i++)
        {
            result[i] = (byte)(data[i] ^ Key[(offset + i) % 4]);
        }

        return result;
    }
}
