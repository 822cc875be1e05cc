using System.IO.Pipelines;
using System.Net;
using FastIo.EngineIO;
using FastIo.Transports.Sharding;

namespace FastIo.Transports.Hosting.Epoll;

/// <summary>
/// An accepted socket driven by an <see cref="EpollLoop"/>, as a duplex pipe: the loop's readiness events run the
/// receive (EpollConnection.Receive.cs) into the input (<see cref="SocketInput"/>) and resume a send waiting for room
/// (EpollConnection.Send.cs); the output (<see cref="SocketOutput"/>) sends on the flushing thread. This file is the
/// connection's shape, its start and its close.
/// </summary>
/// <remarks>
/// <para>Why not <see cref="System.Net.Sockets.Socket"/> (bench/RESULTS.md, "epoll"): an idle runtime socket waits in
/// a zero-byte receive, which costs two extra <c>recv</c> calls per message (tried at once, then again on readiness,
/// before the real receive) and ~900 B per connection (the socket, its handle, its async context and operation
/// queues, the event args). Here a connection is registered once, edge-triggered (for output too only after a send
/// found the kernel's buffer full); readiness runs the receive directly, and a receive shorter than its block means
/// the socket is drained, so a message costs one <c>recv</c>.</para>
/// <para>Like the managed connection, it holds no buffer while idle: a block is rented only when bytes are there.</para>
/// </remarks>
internal sealed partial class EpollConnection : SocketConnection, IEpollHandler
{
    private DescriptorGuard _fd;
    private EpollLoop? _loop;
    private int _slot;
    private int _closed;

    /// <summary>What a connection is registered for until a send waits for room (<see cref="OutputEvents"/>).</summary>
    private const uint InputEvents = EpollNative.EPOLLIN | EpollNative.EPOLLRDHUP | EpollNative.EPOLLET;

    /// <summary>What it is registered for from then on.</summary>
    private const uint OutputEvents = InputEvents | EpollNative.EPOLLOUT;

    /// <param name="fd">A connected, non-blocking stream socket; this connection owns it from now on.</param>
    /// <param name="input">The input's pool, block size and thresholds (see <see cref="SocketConnection"/>).</param>
    /// <param name="remoteEndPoint">The peer, as accept reported it.</param>
    /// <param name="scheduler">Where the application's reads resume, retargeted by the host to a shard.</param>
    public EpollConnection(int fd, PipeOptions input, in PackedEndPoint remoteEndPoint, ConnectionScheduler? scheduler)
        : base(input, remoteEndPoint, scheduler)
    {
        _fd = new DescriptorGuard(fd);
    }

    /// <summary>
    /// Registers the socket with <paramref name="loop"/>, edge-triggered, for input only: its first readiness event
    /// runs the first receive. Output readiness is watched only once a send found the kernel's buffer full
    /// (<see cref="SendAsync"/>), so that a connection costs no wake-up for the room every new socket has.
    /// </summary>
    /// <exception cref="System.Net.Sockets.SocketException">The loop could not take the socket (out of memory); the caller closes it.</exception>
    public void Start(EpollLoop loop)
    {
        _reading.StartWaiting(); // before the registration: bytes already there raise the first event at once
        _slot = loop.Register(_fd.Fd, InputEvents, this);
        _loop = loop; // only once registered: a close of a connection that never started releases no slot
    }

    /// <summary>Whether Nagle's algorithm is off on the socket (TCP_NODELAY, inherited from the listener); for tests.</summary>
    internal unsafe bool NoDelay
    {
        get
        {
            ObjectDisposedException.ThrowIf(!_fd.TryAddRef(), this);
            try
            {
                int value = 0;
                uint length = sizeof(int);
                return EpollNative.GetSockOpt(_fd.Fd, EpollNative.IPPROTO_TCP, EpollNative.TCP_NODELAY, &value, &length) == 0 && value != 0;
            }
            finally
            {
                _fd.Release();
            }
        }
    }

    /// <summary>Closes the socket of a connection that never started (its loop refused it).</summary>
    public void Abort() => _fd.Close();

    /// <summary>The loop reports readiness: run the receive if it waits, resume a send waiting for room.</summary>
    void IEpollHandler.OnEvents(uint events)
    {
        if ((events & (EpollNative.EPOLLOUT | EpollNative.EPOLLERR | EpollNative.EPOLLHUP)) != 0)
        {
            OnWritable();
        }

        if ((events & (EpollNative.EPOLLRDHUP | EpollNative.EPOLLERR | EpollNative.EPOLLHUP)) != 0)
        {
            // The peer's FIN (or an error) is queued behind the data: a short receive no longer means "drained", since
            // this edge was the last one the FIN raises (ReceiveOnce).
            Volatile.Write(ref _peerClosing, true);
        }

        if ((events & (EpollNative.EPOLLIN | EpollNative.EPOLLRDHUP | EpollNative.EPOLLERR | EpollNative.EPOLLHUP)) != 0 && _reading.Signal())
        {
            Receive();
        }
    }

    /// <summary>
    /// Drains the output (<see cref="SocketConnection.DrainAsync"/>), lingers while the peer still sends, then
    /// unregisters and closes the socket, which ends a send still waiting for a peer that does not read.
    /// </summary>
    public override async ValueTask CloseAsync()
    {
        if (await DrainAsync().ConfigureAwait(false) && Volatile.Read(ref _peerFinished) == 0)
        {
            await LingerAsync().ConfigureAwait(false);
        }

        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        if (_fd.TryCloseUnused())
        {
            // Closing removed the registration (one system call instead of two), unless another process still holds the
            // socket (a child between fork and exec, epoll(7) Q6): then its events may name the slot after it was reused,
            // which costs the slot's new owner one spurious receive (EAGAIN), nothing more.
            _loop?.Release(_slot);
        }
        else
        {
            // A send or receive is in progress on another thread, and the descriptor closes when it returns: unregister
            // first, while the number is still ours. Once it is closed, the kernel hands it to the next accept, and a
            // late EPOLL_CTL_DEL would remove that connection's registration instead.
            _loop?.Unregister(_fd.Fd, _slot);
            _fd.Close();
        }

        if (_writing.Close())
        {
            _sendWaiter!.SetResult(false); // a send waiting for room: the socket is gone
        }

        _reading.Close();
        CompleteInput(error: null); // a receive waiting for bytes, or one held up by an application that stopped reading
    }

    /// <summary>
    /// Reads and discards what the peer still sends after our FIN, until it closes too, for at most
    /// <see cref="SocketConnection.LingerTimeout"/> (see <see cref="SocketConnection.DrainAsync"/> for why).
    /// </summary>
    private async Task LingerAsync()
    {
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _discarding, finished);

        // After publishing the signal: a FIN received from now on completes it; one received before set the flag.
        if (Interlocked.CompareExchange(ref _peerFinished, 0, 0) != 0)
        {
            return;
        }

        if (_reading.Resume())
        {
            Receive(); // waiting or stopped: discard what is there now; the loop runs it on later bytes
        }

        try
        {
            await finished.Task.WaitAsync(LingerTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The peer keeps its side open: close anyway.
        }
    }
}
