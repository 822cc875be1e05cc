using System.Net.Sockets;

namespace FastIo.Transports.Hosting;

/// <summary>The receive loop: socket → input pipe.</summary>
internal sealed partial class SocketAcceptedConnection
{
    /// <summary>
    /// The least a receive asks the pipe for; the pipe hands out whole blocks (4 KiB by default), so this only
    /// keeps a nearly full block from being used for a tiny receive.
    /// </summary>
    private const int MinimumReceiveSize = 2048;

    /// <summary>
    /// Waits with a zero-byte receive until the socket is readable, so that an idle connection holds no buffer
    /// (performance.md: 1.8 KB per idle connection for such a loop against ~6 KB with a pending 4 KiB read); only
    /// then takes memory from the input pipe and receives into it synchronously (the socket is non-blocking). A
    /// flush that the application's unread bytes hold up (the pipe's pause threshold) is awaited before the next
    /// receive: that is the backpressure. The peer's FIN or a reset complete the pipe normally; other errors
    /// complete it with the error.
    /// </summary>
    private async Task ReceiveLoopAsync()
    {
        var writer = _input.Writer;
        Exception? error = null;
        try
        {
            while (true)
            {
                // Completes synchronously when bytes (or a FIN, or an error) are already waiting.
                await _socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);

                var memory = writer.GetMemory(MinimumReceiveSize);
                var received = _socket.Receive(memory.Span, SocketFlags.None, out var socketError);
                if (socketError == SocketError.WouldBlock)
                {
                    // Spurious readiness: nothing to read after all. Commit nothing and wait again.
                    writer.Advance(0);
                    continue;
                }

                if (socketError != SocketError.Success)
                {
                    if (!IsConnectionGone(socketError))
                    {
                        error = new IOException($"Receive failed: {socketError}.", new SocketException((int)socketError));
                    }

                    return;
                }

                if (received == 0)
                {
                    return; // the peer's FIN: it sends nothing more (it may still read what we send)
                }

                writer.Advance(received);
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                {
                    return; // the application stopped reading, or the connection is being closed
                }
            }
        }
        catch (Exception e)
        {
            error = ToPipeError(e);
        }
        finally
        {
            await writer.CompleteAsync(error).ConfigureAwait(false);
        }
    }
}
