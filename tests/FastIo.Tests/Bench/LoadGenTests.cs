using System.Text;
using FastIo.LoadGen;
using NUnit.Framework;

namespace FastIo.Tests.Bench;

/// <summary>The load generator's own arithmetic: histogram buckets and pre-masked frames with patched ack ids.</summary>
public class LoadGenTests
{
    [Test]
    public void HistogramBucketsAreMonotonicAndWithinTwoPercent()
    {
        int previous = -1;
        for (long v = 0; v < 10_000_000; v = (v * 11 / 10) + 1)
        {
            int index = LogLinearHistogram.IndexOf(v);
            Assert.That(index, Is.GreaterThanOrEqualTo(previous), $"value {v}");
            previous = index;

            var h = new LogLinearHistogram();
            h.Record(v);
            h.Record(v);
            Assert.That(Math.Abs(h.ValueAt(0.5) - v), Is.LessThanOrEqualTo((v / 50) + 1), $"value {v}");
        }
    }

    [Test]
    public void HistogramPercentilesFollowRanks()
    {
        var h = new LogLinearHistogram();
        for (int i = 1; i <= 1000; i++)
        {
            h.Record(i * 1000L);
        }

        Assert.Multiple(() =>
        {
            Assert.That(h.Count, Is.EqualTo(1000));
            Assert.That(h.ValueAt(0.5), Is.InRange(490_000, 510_000));
            Assert.That(h.ValueAt(0.99), Is.InRange(975_000, 1_005_000));
            Assert.That(h.ValueAt(1.0), Is.EqualTo(1_000_000));
        });
    }

    [TestCase(10)]
    [TestCase(200)]
    [TestCase(70_000)]
    public void PatchedAckIdUnmasksToTheEvent(int argLength)
    {
        var args = ",\"" + new string('x', argLength) + "\"";
        var frame = WsFrames.EventWithAck("echo", args, 0xA1B2C3D4);
        WsFrames.PatchAckId(frame, WsFrames.AckIdBase + 4242);

        int offset = WsFrames.PayloadOffset(PayloadLength(frame));
        var key = frame.AsSpan(offset - 4, 4).ToArray();
        var payload = new byte[frame.Length - offset];
        for (int i = 0; i < payload.Length; i++)
        {
            payload[i] = (byte)(frame[offset + i] ^ key[i & 3]);
        }

        Assert.That(Encoding.UTF8.GetString(payload), Is.EqualTo("42100004242[\"echo\"" + args + "]"));
    }

    private static int PayloadLength(byte[] frame)
    {
        int len7 = frame[1] & 0x7F;
        return len7 < 126 ? len7 : len7 == 126 ? (frame[2] << 8) | frame[3] : (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(frame.AsSpan(2));
    }
}
