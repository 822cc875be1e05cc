using System.Security.Cryptography;

namespace FastIo.EngineIO;

/// <summary>
/// Random bytes for session and socket ids, from a per-thread buffer refilled from the system's CSPRNG 256 bytes at a
/// time: one <see cref="RandomNumberGenerator"/> call per ~20 ids instead of one per id. On Linux each call goes
/// through OpenSSL, which also calls getpid() every time to detect a fork (2 of S2's ~16 syscalls per connect were
/// those). Node's engine.io does the same with its pooled <c>crypto.randomBytes</c> (base64id).
/// </summary>
/// <remarks>Every byte is handed out once and wiped from the buffer as it is.</remarks>
internal static class RandomIdBytes
{
    private const int BufferSize = 256;

    [ThreadStatic]
    private static byte[]? t_buffer;

    [ThreadStatic]
    private static int t_next;

    public static void Fill(Span<byte> destination)
    {
        if (destination.Length > BufferSize)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }

        var buffer = t_buffer;
        if (buffer is null || t_next + destination.Length > BufferSize)
        {
            buffer = t_buffer ??= new byte[BufferSize];
            RandomNumberGenerator.Fill(buffer);
            t_next = 0;
        }

        var taken = buffer.AsSpan(t_next, destination.Length);
        taken.CopyTo(destination);
        taken.Clear();
        t_next += destination.Length;
    }
}
