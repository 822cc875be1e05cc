using System.Net.Sockets;
using FastIo.Transports.Sharding;

namespace FastIo.Transports.Hosting.Epoll;

/// <summary>The receive side: readiness → <c>recv</c> into a pooled block → input, inline on the loop's thread.</summary>
internal sealed partial class EpollConnection
{
    /// <summary>Where a closing connection's discarded bytes go (one per thread: they are never read).</summary>
    [ThreadStatic]
    private static byte[]? t_discard;

    /// <summary>How many discarding receives (of 4 KB) one run makes before it hands the rest to the thread pool.</summary>
    private const int MaxDiscardsPerRun = 16;

    private Readiness _reading;
    private int _peerFinished; // 0 while the peer may send, PeerSentFin after its FIN, PeerGone after a receive error

    private const int PeerSentFin = 1;
    private const int PeerGone = 2; // reset or failed: the connection is gone both ways, so no shutdown() either
    private bool _peerClosing; // the loop saw EPOLLRDHUP (or an error): receive until recv says so
    private TaskCompletionSource? _discarding; // set by a lingering close: discard what arrives, signal the FIN

    /// <summary>
    /// Receives until the socket is drained, the application is behind (the input's pause threshold: backpressure,
    /// <see cref="ISocketInputOwner.ResumeReceiving"/> resumes), or the input ended. Runs on the loop's thread for a
    /// readiness event (the first one too), on a pool thread after backpressure or a long discard, on the closing
    /// thread when a lingering close resumes it; never on two at once (<see cref="Readiness"/>).
    /// </summary>
    private void Receive()
    {
        try
        {
            var discards = 0;
            while (ReceiveOnce())
            {
                if (Volatile.Read(ref _discarding) is not null && ++discards == MaxDiscardsPerRun)
                {
                    // A peer that keeps sending while we linger would hold this thread (the loop's, serving every other
                    // connection of the loop, or the closing one) until LingerTimeout: go on from the pool instead,
                    // still owning the receive side (Running: edges meanwhile are recorded as Signaled).
                    ThreadPool.UnsafeQueueUserWorkItem(static connection => connection.Receive(), this, preferLocal: false);
                    return;
                }
            }
        }
        catch (Exception e)
        {
            // A bug, not the peer: the input ends with it rather than the loop's thread.
            _reading.Stop();
            CompleteInput(ToPipeError(e));
        }
    }

    /// <summary>One <c>recv</c> and what follows from it: true to receive again at once, false when the receive side returns.</summary>
    private bool ReceiveOnce()
    {
        if (!_fd.TryAddRef())
        {
            _reading.Stop(); // closed: CloseAsync completes the input
            return false;
        }

        if (Volatile.Read(ref _discarding) is { } discarding)
        {
            return DiscardOnce(discarding);
        }

        var segment = InputSide.RentSegment();
        var block = segment.Writable.Span;
        var received = ReceiveInto(block, out var errno);
        if (received <= 0)
        {
            SocketInput.ReturnSegment(segment);
            return received == 0 ? PeerFinished() : Failed(errno);
        }

        // Processed right here, as the shard's batch when the shard is idle: parse, handlers and the reply's send on
        // this thread, with no hop (ConnectionScheduler).
        ConnectionScheduler.BeginInlineFlush();
        SocketInput.AppendResult appended;
        try
        {
            appended = InputSide.Append(segment, (int)received);
        }
        finally
        {
            ConnectionScheduler.EndInlineFlush();
        }

        switch (appended)
        {
            case SocketInput.AppendResult.Continue:
                // A receive shorter than its block took every byte there was, and bytes arriving later raise a new edge;
                // but a FIN that came with the bytes raises none, so once the loop saw one, receive until recv returns 0.
                return received == block.Length || Volatile.Read(ref _peerClosing) || !_reading.TryWait();
            case SocketInput.AppendResult.Paused:
                return !_reading.TryStop();
            default:
                // The application stopped reading. TryStop, not Stop: a lingering close may have resumed this receive
                // meanwhile (Running -> Signaled), and Stop would overwrite that with Stopped: nothing would discard
                // what the peer still sends, and the close would wait out LingerTimeout, then reset the connection.
                CompleteInput(error: null);
                return !_reading.TryStop();
        }
    }

    /// <summary>A lingering close reads on: what arrives is thrown away until the peer's FIN.</summary>
    private bool DiscardOnce(TaskCompletionSource discarding)
    {
        var received = ReceiveInto(t_discard ??= new byte[4096], out var errno);
        if (received > 0)
        {
            return true;
        }

        if (received < 0 && errno is EpollNative.EAGAIN or EpollNative.EINTR)
        {
            return errno == EpollNative.EINTR || !_reading.TryWait();
        }

        // The FIN, or the connection failed: nothing more to wait for.
        _reading.Stop();
        Interlocked.Exchange(ref _peerFinished, PeerSentFin);
        CompleteInput(error: null);
        discarding.TrySetResult();
        return false;
    }

    /// <summary>One <c>recv</c> into <paramref name="buffer"/>, under the reference the caller took; releases it.</summary>
    private unsafe nint ReceiveInto(Span<byte> buffer, out int errno)
    {
        try
        {
            nint received;
            fixed (byte* bytes = buffer)
            {
                received = EpollNative.Recv(_fd.Fd, bytes, buffer.Length, 0);
            }

            errno = received < 0 ? EpollNative.Errno : 0;
            return received;
        }
        finally
        {
            _fd.Release();
        }
    }

    /// <summary>The peer's FIN: it sends nothing more (it may still read what we send).</summary>
    private bool PeerFinished()
    {
        _reading.Stop();
        Interlocked.Exchange(ref _peerFinished, PeerSentFin);
        CompleteInputInPlace(SocketError.Success);
        Volatile.Read(ref _discarding)?.TrySetResult(); // a lingering close that started meanwhile
        return false;
    }

    /// <summary>A failed <c>recv</c>: wait for the next edge on EAGAIN, retry on EINTR, end the input otherwise.</summary>
    private bool Failed(int errno)
    {
        switch (errno)
        {
            case EpollNative.EAGAIN:
                return !_reading.TryWait();
            case EpollNative.EINTR:
                return true;
            default:
                _reading.Stop();
                Interlocked.Exchange(ref _peerFinished, PeerGone); // nothing to linger for: a lingering close that starts now returns at once
                CompleteInputInPlace(EpollNative.ToSocketError(errno));
                Volatile.Read(ref _discarding)?.TrySetResult();
                return false;
        }
    }

    /// <summary>The application caught up after a pause: receive again, from a thread-pool thread (not the reader's stack).</summary>
    public override void ResumeReceiving()
    {
        if (_reading.Resume())
        {
            ThreadPool.UnsafeQueueUserWorkItem(static connection => connection.Receive(), this, preferLocal: false);
        }
    }
}
