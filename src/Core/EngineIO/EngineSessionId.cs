using System.Buffers.Binary;
using System.Buffers.Text;

namespace FastIo.EngineIO;

/// <summary>
/// The shape of FastIo's session ids: 20 URL-safe characters like engine.io's base64id, whose first four characters
/// name the shard (core) and the node that own the session and whose other sixteen are 96 random bits.
/// </summary>
/// <remarks>
/// Carrying the owner in the sid lets every HTTP request be routed by its <c>sid</c> query parameter alone — to a
/// shard inside the process, or to another node of the cluster — without a lookup table that would have to be
/// shared. Layout of the 15 encoded bytes: shard (1), node (2, big-endian), random (12).
/// </remarks>
public static class EngineSessionId
{
    /// <summary>The length of a sid in characters.</summary>
    public const int Length = 20;

    /// <summary>The largest shard index a sid can carry.</summary>
    public const int MaxShard = byte.MaxValue;

    /// <summary>The largest node id a sid can carry.</summary>
    public const int MaxNode = ushort.MaxValue;

    private const int ByteLength = 15;
    private const int RandomOffset = 3;

    /// <summary>A new sid owned by <paramref name="shard"/> of <paramref name="node"/>.</summary>
    public static string Create(int shard, int node)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(shard, MaxShard);
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(node, MaxNode);
        Span<byte> bytes = stackalloc byte[ByteLength];
        bytes[0] = (byte)shard;
        BinaryPrimitives.WriteUInt16BigEndian(bytes[1..], (ushort)node);
        RandomIdBytes.Fill(bytes[RandomOffset..]);
        return Base64Url.EncodeToString(bytes);
    }

    /// <summary>
    /// Reads the owner out of <paramref name="sid"/>; false when it is not of FastIo's shape (a client can send
    /// anything, and such a sid is then simply unknown).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<char> sid, out int shard, out int node)
    {
        shard = 0;
        node = 0;
        if (sid.Length != Length)
        {
            return false;
        }

        // Four characters carry exactly the three owner bytes (24 bits). Decoded by hand: Base64Url's TryDecode
        // throws, rather than returning false, on characters outside the alphabet — and the sid is client input.
        var bits = 0;
        foreach (var c in sid)
        {
            if (SextetOf(c) < 0)
            {
                return false;
            }
        }

        for (var i = 0; i < 4; i++)
        {
            bits = (bits << 6) | SextetOf(sid[i]);
        }

        shard = bits >> 16;
        node = bits & 0xFFFF;
        return true;
    }

    /// <summary>The 6-bit value of a base64url character (RFC 4648 §5), or -1.</summary>
    private static int SextetOf(char c) => c switch
    {
        >= 'A' and <= 'Z' => c - 'A',
        >= 'a' and <= 'z' => c - 'a' + 26,
        >= '0' and <= '9' => c - '0' + 52,
        '-' => 62,
        '_' => 63,
        _ => -1,
    };
}
