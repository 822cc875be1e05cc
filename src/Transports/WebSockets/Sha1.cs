using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastIo.Transports.WebSockets;

/// <summary>
/// SHA-1 (RFC 3174) for the one place RFC 6455 needs it: the <c>Sec-WebSocket-Accept</c> value of a handshake.
/// </summary>
/// <remarks>
/// Why not <see cref="System.Security.Cryptography.SHA1"/>: on Linux it goes through OpenSSL, whose per-call set-up
/// (EVP context, error-queue clearing) cost more than the hash of the handshake's 60 bytes; in a <c>perf</c> profile of
/// WebSocket connects libcrypto was ~1.7 % of the server's samples (bench/RESULTS.md, "accept hash"). The input here is
/// short and public and the digest is a framing check, not a security primitive, so a small managed implementation
/// is enough. Not for anything else.
/// </remarks>
internal static class Sha1
{
    /// <summary>Digest length in bytes.</summary>
    public const int HashLength = 20;

    private const int BlockLength = 64;

    /// <summary>Writes SHA-1(<paramref name="source"/>) into the first 20 bytes of <paramref name="destination"/>.</summary>
    public static void HashData(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(destination.Length, HashLength, nameof(destination));

        Span<uint> state = [0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u];
        Span<uint> schedule = stackalloc uint[80];
        long bitLength = (long)source.Length * 8;

        while (source.Length >= BlockLength)
        {
            Compress(state, schedule, source[..BlockLength]);
            source = source[BlockLength..];
        }

        // The tail, the 0x80 marker and the big-endian bit length fill one block, or two when fewer than 9 bytes are left.
        Span<byte> tail = stackalloc byte[2 * BlockLength];
        tail.Clear();
        source.CopyTo(tail);
        tail[source.Length] = 0x80;
        int tailLength = source.Length + 9 <= BlockLength ? BlockLength : 2 * BlockLength;
        BinaryPrimitives.WriteInt64BigEndian(tail[(tailLength - 8)..], bitLength);
        for (int offset = 0; offset < tailLength; offset += BlockLength)
        {
            Compress(state, schedule, tail.Slice(offset, BlockLength));
        }

        for (int i = 0; i < 5; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination[(i * 4)..], state[i]);
        }
    }

    private static void Compress(Span<uint> state, Span<uint> w, ReadOnlySpan<byte> block)
    {
        for (int i = 0; i < 16; i++)
        {
            w[i] = BinaryPrimitives.ReadUInt32BigEndian(block[(i * 4)..]);
        }

        for (int i = 16; i < 80; i++)
        {
            w[i] = BitOperations.RotateLeft(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
        }

        uint a = state[0], b = state[1], c = state[2], d = state[3], e = state[4];
        for (int i = 0; i < 20; i++)
        {
            Round(ref a, ref b, ref c, ref d, ref e, ((b & c) | (~b & d)) + 0x5A827999u + w[i]);
        }

        for (int i = 20; i < 40; i++)
        {
            Round(ref a, ref b, ref c, ref d, ref e, (b ^ c ^ d) + 0x6ED9EBA1u + w[i]);
        }

        for (int i = 40; i < 60; i++)
        {
            Round(ref a, ref b, ref c, ref d, ref e, ((b & c) | (b & d) | (c & d)) + 0x8F1BBCDCu + w[i]);
        }

        for (int i = 60; i < 80; i++)
        {
            Round(ref a, ref b, ref c, ref d, ref e, (b ^ c ^ d) + 0xCA62C1D6u + w[i]);
        }

        state[0] += a;
        state[1] += b;
        state[2] += c;
        state[3] += d;
        state[4] += e;
    }

    /// <summary>One of the 80 rounds; <paramref name="mixed"/> is f(b, c, d) + K + W[i] for the round's quarter.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Round(ref uint a, ref uint b, ref uint c, ref uint d, ref uint e, uint mixed)
    {
        uint next = BitOperations.RotateLeft(a, 5) + e + mixed;
        e = d;
        d = c;
        c = BitOperations.RotateLeft(b, 30);
        b = a;
        a = next;
    }
}
