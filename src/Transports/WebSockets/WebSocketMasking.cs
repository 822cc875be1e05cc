using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace FastIo.Transports.WebSockets;

/// <summary>
/// Client-to-server masking (RFC 6455 §5.3): byte i of the payload is XORed with mask byte (i mod 4).
/// The operation is its own inverse, so the same routine masks and unmasks.
/// </summary>
internal static class WebSocketMasking
{
    private const int MaskLength = 4;

    /// <summary>
    /// XORs <paramref name="data"/> in place with the mask, starting at mask position <paramref name="offset"/> (0..3),
    /// so a payload split across buffer segments can be processed piecewise. Returns the offset for the next piece.
    /// </summary>
    /// <param name="data">Bytes to (un)mask in place.</param>
    /// <param name="mask">The 4 masking-key bytes exactly as they appeared on the wire, read in native byte order
    /// (see <see cref="ReadMask"/>), so the uint's memory image equals the key.</param>
    /// <param name="offset">Position in the key of data[0].</param>
    public static int Apply(Span<byte> data, uint mask, int offset)
    {
        int nextOffset = (offset + data.Length) & (MaskLength - 1);
        if (data.IsEmpty)
        {
            return nextOffset;
        }

        // Rotate the key so its memory image starts at key[offset]; then every 4-byte-aligned chunk of data
        // (relative to data[0]) sees the same key and wide XORs need no per-byte index math.
        uint rotated = RotateToOffset(mask, offset & (MaskLength - 1));
        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint i = 0;

        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<byte>.Count)
        {
            Vector256<byte> maskVector = Vector256.Create(rotated).AsByte();
            nuint last = length - (nuint)Vector256<byte>.Count;
            for (; i <= last; i += (nuint)Vector256<byte>.Count)
            {
                (Vector256.LoadUnsafe(ref start, i) ^ maskVector).StoreUnsafe(ref start, i);
            }
        }

        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<byte>.Count)
        {
            Vector128<byte> maskVector = Vector128.Create(rotated).AsByte();
            nuint last = length - (nuint)Vector128<byte>.Count;
            for (; i <= last; i += (nuint)Vector128<byte>.Count)
            {
                (Vector128.LoadUnsafe(ref start, i) ^ maskVector).StoreUnsafe(ref start, i);
            }
        }

        if (length - i >= sizeof(ulong))
        {
            ulong wideMask = ((ulong)rotated << 32) | rotated; // memory image: key repeated twice in either endianness
            nuint last = length - sizeof(ulong);
            for (; i <= last; i += sizeof(ulong))
            {
                ref byte p = ref Unsafe.Add(ref start, i);
                Unsafe.WriteUnaligned(ref p, Unsafe.ReadUnaligned<ulong>(ref p) ^ wideMask);
            }
        }

        // Tail (< 8 bytes): i is a multiple of 4 here, so the key position of byte i is just (i & 3).
        Span<byte> keyBytes = stackalloc byte[MaskLength];
        MemoryMarshal.Write(keyBytes, in rotated);
        for (; i < length; i++)
        {
            Unsafe.Add(ref start, i) ^= keyBytes[(int)(i & (MaskLength - 1))];
        }

        return nextOffset;
    }

    /// <summary>Reads a wire masking key (§5.2 "Masking-key") into the representation <see cref="Apply"/> expects.</summary>
    public static uint ReadMask(ReadOnlySpan<byte> keyBytes) => MemoryMarshal.Read<uint>(keyBytes);

    private static uint RotateToOffset(uint mask, int offset)
    {
        int bits = offset * 8;
        return BitConverter.IsLittleEndian ? BitOperations.RotateRight(mask, bits) : BitOperations.RotateLeft(mask, bits);
    }
}
