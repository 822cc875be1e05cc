using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FastIo.Transports.Hosting.Epoll;

/// <summary>
/// One epoll instance and the thread that waits on it and runs the handlers of its descriptors
/// (<see cref="IEpollHandler.OnEvents"/>) inline: a connection's receive, parse, handlers and send all run there
/// (or in the shard entered from there), with no thread hop and no other system call than the I/O itself.
/// </summary>
/// <remarks>
/// Each registration is tagged with a slot of <see cref="_handlers"/>, not with the descriptor, whose number the
/// kernel reuses as soon as it is closed. A slot freed by <see cref="Unregister"/> is emptied at once (a late event
/// finds no handler) but reused only after the loop finished the batch of events it was working on, so an event
/// collected before the unregistration never reaches the slot's next owner.
/// </remarks>
internal sealed unsafe class EpollLoop
{
    private const int MaxEvents = 256;

    private readonly int _epoll;
    private readonly Lock _lock = new();
    private readonly Stack<int> _free = new(); // under _lock: slots free for reuse
    private readonly ConcurrentQueue<int> _released = new(); // slots emptied, to be freed after the current batch
    private IEpollHandler?[] _handlers = new IEpollHandler?[256]; // replaced (grown) under _lock; read by the loop
    private int _used; // under _lock: slots ever handed out

    public EpollLoop(int index)
    {
        _epoll = EpollNative.EpollCreate(EpollNative.EPOLL_CLOEXEC);
        if (_epoll < 0)
        {
            throw new SocketException((int)EpollNative.ToSocketError(EpollNative.Errno));
        }

        var thread = new Thread(Run, maxStackSize: 0)
        {
            IsBackground = true,
            Name = $"fastio-epoll-{index}",
        };
        thread.UnsafeStart();
    }

    /// <summary>Unhandled failures of handlers (bugs); the loop goes on. Set by the hosts (the loops are process-wide).</summary>
    public static event Action<Exception>? HandlerFailed;

    /// <summary>Registers <paramref name="fd"/> for <paramref name="events"/>; returns the slot to unregister it with.</summary>
    /// <exception cref="SocketException">The kernel refused (out of memory, or the descriptor is bad).</exception>
    public int Register(int fd, uint events, IEpollHandler handler)
    {
        int slot;
        lock (_lock)
        {
            if (!_free.TryPop(out slot))
            {
                slot = _used++;
                if (slot == _handlers.Length)
                {
                    var grown = new IEpollHandler?[slot * 2];
                    _handlers.AsSpan().CopyTo(grown);
                    Volatile.Write(ref _handlers, grown);
                }
            }

            _handlers[slot] = handler;
        }

        if (EpollNative.Control(_epoll, EpollNative.EPOLL_CTL_ADD, fd, events, (ulong)slot) != 0)
        {
            var error = EpollNative.Errno;
            lock (_lock)
            {
                _handlers[slot] = null;
                _free.Push(slot);
            }

            throw new SocketException((int)EpollNative.ToSocketError(error));
        }

        return slot;
    }

    /// <summary>Changes what <paramref name="fd"/> (registered in <paramref name="slot"/>) is watched for; the kernel re-polls it.</summary>
    /// <exception cref="SocketException">The kernel refused (out of memory).</exception>
    public void Modify(int fd, uint events, int slot)
    {
        if (EpollNative.Modify(_epoll, fd, events, (ulong)slot) != 0)
        {
            throw new SocketException((int)EpollNative.ToSocketError(EpollNative.Errno));
        }
    }

    /// <summary>Stops the events of <paramref name="fd"/> (still open) and releases its slot.</summary>
    public void Unregister(int fd, int slot)
    {
        // Failure means the descriptor is not registered any more; the slot is released either way.
        EpollNative.EpollCtl(_epoll, EpollNative.EPOLL_CTL_DEL, fd, null);
        lock (_lock)
        {
            _handlers[slot] = null;
        }

        _released.Enqueue(slot);
    }

    private void Run()
    {
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * EpollNative.EventSize));
        var size = EpollNative.EventSize;
        var dataOffset = EpollNative.EventDataOffset;
        while (true)
        {
            var count = EpollNative.EpollWait(_epoll, events, MaxEvents, -1);
            if (count < 0)
            {
                continue; // EINTR (a signal, e.g. a debugger attaching); nothing else can fail with valid arguments
            }

            var handlers = Volatile.Read(ref _handlers);
            for (var i = 0; i < count; i++)
            {
                var entry = events + (i * size);
                var slot = (int)*(ulong*)(entry + dataOffset);
                if ((uint)slot < (uint)handlers.Length && handlers[slot] is { } handler)
                {
                    Dispatch(handler, *(uint*)entry);
                }
            }

            if (!_released.IsEmpty)
            {
                FreeReleased();
            }
        }
    }

    private static void Dispatch(IEpollHandler handler, uint events)
    {
        try
        {
            handler.OnEvents(events);
        }
        catch (Exception e)
        {
            // A bug in a handler must not end the loop: every other descriptor of it would hang.
            HandlerFailed?.Invoke(e);
        }
    }

    /// <summary>Frees the slots released before or during the batch just handled: no event of a later wait names them.</summary>
    private void FreeReleased()
    {
        lock (_lock)
        {
            while (_released.TryDequeue(out var slot))
            {
                _free.Push(slot);
            }
        }
    }
}
