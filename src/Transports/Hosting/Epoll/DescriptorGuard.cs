namespace FastIo.Transports.Hosting.Epoll;

/// <summary>
/// Keeps a descriptor's number valid while system calls use it: the kernel hands a closed number to the next
/// <c>accept</c> at once, so a send racing a close would otherwise write into someone else's connection. Every call
/// takes a reference (<see cref="TryAddRef"/>); <see cref="Close"/> stops new ones, and the descriptor is closed when
/// the last reference is released (what <see cref="System.Runtime.InteropServices.SafeHandle"/> does, without its
/// object per connection).
/// </summary>
internal struct DescriptorGuard
{
    private const int ClosedBit = 1 << 30;

    private int _state = 1; // the owner's reference; ClosedBit once closing

    public DescriptorGuard(int fd)
    {
        Fd = fd;
    }

    /// <summary>The descriptor; valid between a successful <see cref="TryAddRef"/> and its <see cref="Release"/>.</summary>
    public int Fd { get; }

    /// <summary>Whether <see cref="Close"/> was called.</summary>
    public bool IsClosed => (Volatile.Read(ref _state) & ClosedBit) != 0;

    /// <summary>Takes a reference for one call; false once closing (the call must not be made).</summary>
    public bool TryAddRef()
    {
        var state = Volatile.Read(ref _state);
        while ((state & ClosedBit) == 0)
        {
            var seen = Interlocked.CompareExchange(ref _state, state + 1, state);
            if (seen == state)
            {
                return true;
            }

            state = seen;
        }

        return false;
    }

    /// <summary>Releases a call's reference (closing the descriptor when it was the last one after <see cref="Close"/>).</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _state) == ClosedBit)
        {
            EpollNative.Close(Fd);
        }
    }

    /// <summary>Stops new calls and releases the owner's reference: the descriptor closes now, or when the last call returns. Once only.</summary>
    public bool Close()
    {
        var state = Volatile.Read(ref _state);
        while ((state & ClosedBit) == 0)
        {
            var seen = Interlocked.CompareExchange(ref _state, state | ClosedBit, state);
            if (seen == state)
            {
                Release();
                return true;
            }

            state = seen;
        }

        return false;
    }
}
