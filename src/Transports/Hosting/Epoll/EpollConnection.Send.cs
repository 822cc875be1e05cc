using System.Net.Sockets;

namespace FastIo.Transports.Hosting.Epoll;

/// <summary>The send side's socket calls; <see cref="SocketOutput"/> decides when to make them.</summary>
internal sealed partial class EpollConnection
{
    private Readiness _writing;
    private EpollWaiter? _sendWaiter; // created the first time the kernel's send buffer was full

    /// <inheritdoc/>
    public override unsafe int SendNow(ReadOnlySpan<byte> data)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(!_fd.TryAddRef(), this);

            nint sent;
            int errno = 0;
            try
            {
                fixed (byte* bytes = data)
                {
                    // MSG_NOSIGNAL: a peer that is gone fails the send (EPIPE) instead of raising SIGPIPE.
                    sent = EpollNative.Send(_fd.Fd, bytes, data.Length, EpollNative.MSG_NOSIGNAL);
                }

                if (sent < 0)
                {
                    errno = EpollNative.Errno;
                }
            }
            finally
            {
                _fd.Release();
            }

            if (sent >= 0)
            {
                return (int)sent;
            }

            switch (errno)
            {
                case EpollNative.EAGAIN:
                    return 0;
                case EpollNative.EINTR:
                    continue;
                default:
                    throw new SocketException((int)EpollNative.ToSocketError(errno));
            }
        }
    }

    /// <inheritdoc/>
    public override async ValueTask<int> SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var sent = SendNow(data.Span);
            if (sent > 0 || data.IsEmpty)
            {
                return sent;
            }

            // The kernel's buffer is full: wait for the edge that says it has room again, watching for it from now on
            // (an edge that came meanwhile is raised by the modification itself: epoll polls the socket anew).
            if (_sendWaiter is null)
            {
                WatchOutput(); // first: if it fails, the next send tries again
                _sendWaiter = new EpollWaiter();
            }

            var waiter = _sendWaiter;
            waiter.Reset();
            if (!_writing.TryWait())
            {
                continue; // room was reported since the send: try again
            }

            bool ready;
            using (cancellationToken.UnsafeRegister(static s => ((EpollConnection)s!).CancelSendWait(), this))
            {
                ready = await waiter.Task.ConfigureAwait(false);
            }

            if (!ready)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new ObjectDisposedException(nameof(EpollConnection));
            }
        }
    }

    /// <inheritdoc/>
    public override void ShutdownSend()
    {
        // After a reset (the load generator's close; a browser's tab killed mid-stream) shutdown() could only fail
        // with ENOTCONN: one system call per such close saved.
        if (Volatile.Read(ref _peerFinished) != PeerGone && _fd.TryAddRef())
        {
            try
            {
                EpollNative.Shutdown(_fd.Fd, EpollNative.SHUT_WR); // a failure means the peer is gone already; closing follows
            }
            finally
            {
                _fd.Release();
            }
        }
    }

    /// <summary>Adds output readiness to the registration (once: the first time a send waits for room).</summary>
    private void WatchOutput()
    {
        ObjectDisposedException.ThrowIf(!_fd.TryAddRef(), this);
        try
        {
            _loop!.Modify(_fd.Fd, OutputEvents, _slot);
        }
        finally
        {
            _fd.Release();
        }
    }

    /// <summary>Room in the kernel's send buffer (or an error): a send waiting for it goes on, on this thread.</summary>
    private void OnWritable()
    {
        if (_writing.Signal())
        {
            _sendWaiter!.SetResult(true);
        }
    }

    /// <summary>The pending send's token was cancelled: end its wait (it then throws) unless an edge ended it first.</summary>
    private void CancelSendWait()
    {
        if (_writing.TryClaimWaiting())
        {
            // Completed from the pool, not inline: the cancellation comes from SocketOutput under its lock (Abandon,
            // CancelPendingFlush), and the send's continuation, the flush's and the application's must not run in it.
            ThreadPool.UnsafeQueueUserWorkItem(static waiter => waiter.SetResult(false), _sendWaiter!, preferLocal: false);
        }
    }
}
