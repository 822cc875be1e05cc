using System.Buffers;

namespace FastIo.Tests.Hosting;

/// <summary>
/// Array blocks of a fixed size that count how many are rented and not yet returned: a pipe built on it shows whether
/// a connection holds a buffer while idle, and small blocks split large transfers into many segments.
/// </summary>
internal sealed class CountingMemoryPool(int blockSize) : MemoryPool<byte>
{
    private int _outstanding;
    private int _rented;

    public override int MaxBufferSize => blockSize;

    /// <summary>Blocks rented and not yet returned.</summary>
    public int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>Blocks rented so far.</summary>
    public int Rented => Volatile.Read(ref _rented);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        Interlocked.Increment(ref _rented);
        Interlocked.Increment(ref _outstanding);
        return new Block(this, new byte[blockSize]);
    }

    protected override void Dispose(bool disposing)
    {
    }

    private sealed class Block(CountingMemoryPool pool, byte[] array) : IMemoryOwner<byte>
    {
        private int _disposed;

        public Memory<byte> Memory => array;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                Interlocked.Decrement(ref pool._outstanding);
            }
        }
    }
}
