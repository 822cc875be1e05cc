using System.Buffers;

namespace FastIo.Tests.WebSockets;

/// <summary>Multi-segment sequences and tiny-block pipes, to exercise every buffer split deterministically.</summary>
internal static class TestBuffers
{
    /// <summary>A sequence whose segments break at the given positions.</summary>
    public static ReadOnlySequence<byte> Split(byte[] data, params int[] cuts)
    {
        var points = new List<int> { 0 };
        foreach (int c in cuts)
        {
            if (c > 0 && c < data.Length && c > points[^1])
            {
                points.Add(c);
            }
        }

        points.Add(data.Length);
        var segments = new List<byte[]>();
        for (int i = 0; i < points.Count - 1; i++)
        {
            segments.Add(data[points[i]..points[i + 1]]);
        }

        return TestSequence.Create(segments);
    }
}

/// <summary>A pool that hands out blocks of exactly <c>blockSize</c> bytes, so a Pipe built on it splits data at every block.</summary>
internal sealed class TinyBlockPool(int blockSize) : MemoryPool<byte>
{
    public override int MaxBufferSize => blockSize;

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1) => new Block(new byte[blockSize]);

    protected override void Dispose(bool disposing)
    {
    }

    private sealed class Block(byte[] array) : IMemoryOwner<byte>
    {
        public Memory<byte> Memory => array;

        public void Dispose()
        {
        }
    }
}
