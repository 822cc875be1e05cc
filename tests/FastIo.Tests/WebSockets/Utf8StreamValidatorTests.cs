using System.Text;
using FastIo.Transports.WebSockets;
using NUnit.Framework;

namespace FastIo.Tests.WebSockets;

[TestFixture]
public sealed class Utf8StreamValidatorTests
{
    private static readonly byte[][] InvalidSequences =
    [
        [0xC0, 0x80],             // overlong NUL
        [0xE0, 0x80, 0xAF],       // overlong '/'
        [0xED, 0xA0, 0x80],       // UTF-16 surrogate
        [0xF4, 0x90, 0x80, 0x80], // above U+10FFFF
        [0xF5],                   // invalid lead
        [0x80],                   // lone continuation
        [0xE2, 0x82],             // truncated euro sign
        [0xCE, 0xBA, 0xE1],       // valid kappa then truncated
        [0xFF],
    ];

    [Test]
    public void ValidTextIsAcceptedWhateverTheSplit()
    {
        byte[] text = Encoding.UTF8.GetBytes("aé€𝄞κόσμε 😀 z");
        for (int cut1 = 0; cut1 <= text.Length; cut1++)
        {
            for (int cut2 = cut1; cut2 <= text.Length; cut2++)
            {
                var validator = default(Utf8StreamValidator);
                bool ok = validator.Append(text.AsSpan(0, cut1))
                    && validator.Append(text.AsSpan(cut1, cut2 - cut1))
                    && validator.Append(text.AsSpan(cut2))
                    && validator.Complete();
                Assert.That(ok, Is.True, $"cuts {cut1},{cut2}");
                Assert.That(Utf8StreamValidator.IsValid(TestBuffers.Split(text, cut1, cut2)), Is.True);
            }
        }
    }

    [Test]
    public void InvalidTextIsRejectedWhateverTheSplit()
    {
        foreach (byte[] bad in InvalidSequences)
        {
            byte[] text = [.. "ab"u8, .. bad, .. "cd"u8];
            for (int cut = 0; cut <= text.Length; cut++)
            {
                var validator = default(Utf8StreamValidator);
                bool ok = validator.Append(text.AsSpan(0, cut)) && validator.Append(text.AsSpan(cut)) && validator.Complete();
                Assert.That(ok, Is.False, $"{Convert.ToHexString(bad)} cut {cut}");
                Assert.That(Utf8StreamValidator.IsValid(TestBuffers.Split(text, cut)), Is.False);
            }
        }
    }

    [Test]
    public void TruncatedSequenceAtEndIsRejectedOnComplete()
    {
        var validator = default(Utf8StreamValidator);
        Assert.Multiple(() =>
        {
            Assert.That(validator.Append([0x61, 0xF0, 0x9F]), Is.True);
            Assert.That(validator.Complete(), Is.False);
        });
    }
}
