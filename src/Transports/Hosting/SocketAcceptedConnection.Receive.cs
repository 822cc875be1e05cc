using System.Net.Sockets;
using FastIo.Transports.Sharding;

namespace FastIo.Transports.Hosting;

/// <summary>The receive loop: socket → input.</summary>
/// <remarks>
/// Written as callbacks rather than an async method: a connection waiting for bytes then holds only its
/// <see cref="SocketReceiver"/>, not an async state machine box as well (S1, bench/RESULTS.md 2026-11-25: the
/// async loop on <c>Socket.ReceiveAsync(Memory)</c> cost 168 B of box plus the socket's 296 B cached event args).
/// </remarks>
internal sealed partial class SocketAcceptedConnection
{
    /// <summary>
    /// With inline socket completions (the runtime's <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c>, read by it
    /// once, as here) the receive callback runs on the socket engine's own thread, and the bytes are then processed
    /// right there as their shard's batch (<see cref="ConnectionScheduler.BeginInlineFlush"/>): receive → parse →
    /// handler → send with no thread hop at all. Measured (bench/RESULTS.md, S3 at 10k acks/s, pinned): 93 → 31–36 µs
    /// of server CPU per ack and 25 → 1.5 context switches per ack; S4 5.1 → 4.4 µs. Without inline completions the
    /// callback already runs on a pool thread, where processing inline measured no better than a hop, so it is off.
    /// </summary>
    private static readonly bool s_inlineProcessing =
        Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == "1";

    /// <summary>Whether socket completions, accepts included, run inline on the socket engine's threads (see above).</summary>
    internal static bool InlineProcessing => s_inlineProcessing;

    private SocketReceiver? _receiver;
    private volatile bool _peerFinished;

    /// <summary>
    /// Waits with a zero-byte receive until the socket is readable, so that an idle connection holds no buffer
    /// (performance.md: 1.8 KB per idle connection for such a loop against ~6 KB with a pending 4 KiB read); only
    /// then rents a block and receives into it synchronously (the socket is non-blocking), for the input.
    /// Runs until a wait is pending, the application is behind (backpressure), or the input ended.
    /// </summary>
    private void ReceiveLoop()
    {
        try
        {
            while (!_socket.ReceiveAsync(_receiver!))
            {
                if (!ReceiveReady())
                {
                    return;
                }
            }
        }
        catch (Exception e)
        {
            CompleteInput(ToPipeError(e));
        }
    }

    /// <summary>A zero-byte receive completed asynchronously (on a socket engine or thread-pool thread).</summary>
    internal void OnReadable()
    {
        try
        {
            if (!ReceiveReady())
            {
                return;
            }
        }
        catch (Exception e)
        {
            CompleteInput(ToPipeError(e));
            return;
        }

        ReceiveLoop();
    }

    /// <summary>
    /// The socket is readable (or has a FIN or an error): receive what is there into a block of its own and hand it to
    /// the input. True to wait for the next bytes; false when the input ended or the application is behind (the
    /// input's pause threshold: that is the backpressure, and <see cref="ISocketInputOwner.ResumeReceiving"/> resumes).
    /// </summary>
    private bool ReceiveReady()
    {
        var waitError = _receiver!.SocketError;
        if (waitError != SocketError.Success)
        {
            EndInput(waitError);
            return false;
        }

        var segment = InputSide.RentSegment();
        int received;
        SocketError socketError;
        try
        {
            received = _socket.Receive(segment.Writable.Span, SocketFlags.None, out socketError);
        }
        catch
        {
            SocketInput.ReturnSegment(segment);
            throw;
        }

        if (received <= 0 || socketError != SocketError.Success)
        {
            SocketInput.ReturnSegment(segment);
            if (socketError == SocketError.WouldBlock)
            {
                return true; // spurious readiness: nothing to read after all
            }

            if (socketError != SocketError.Success)
            {
                EndInput(socketError);
                return false;
            }

            _peerFinished = true;
            EndInput(SocketError.Success); // the peer's FIN: it sends nothing more (it may still read what we send)
            return false;
        }

        if (s_inlineProcessing)
        {
            ConnectionScheduler.BeginInlineFlush();
        }

        SocketInput.AppendResult appended;
        try
        {
            appended = InputSide.Append(segment, received);
        }
        finally
        {
            ConnectionScheduler.EndInlineFlush();
        }

        switch (appended)
        {
            case SocketInput.AppendResult.Continue:
                return true;
            case SocketInput.AppendResult.Paused:
                return false;
            default:
                CompleteInput(error: null); // the application stopped reading
                return false;
        }
    }

    /// <summary>The receive ended (<see cref="SocketError.Success"/>: the peer's FIN); in place where receives are processed in place.</summary>
    private void EndInput(SocketError error)
    {
        if (s_inlineProcessing)
        {
            CompleteInputInPlace(error);
        }
        else
        {
            CompleteInput(error);
        }
    }

    /// <summary>The application caught up after a pause: receive again, from a thread-pool thread (not the reader's stack).</summary>
    public override void ResumeReceiving() =>
        ThreadPool.UnsafeQueueUserWorkItem(static connection => connection.ReceiveLoop(), this, preferLocal: false);
}
