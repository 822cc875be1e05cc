using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FastIo.Transports.Hosting;

/// <summary>The send loop: output pipe → socket.</summary>
internal sealed partial class SocketAcceptedConnection
{
    /// <summary>
    /// At most this many pipe segments go into one gathered send (sendmsg). The runtime pins and describes up to
    /// 8 buffers on the stack and allocates arrays beyond that, so a larger gather would allocate per send.
    /// </summary>
    private const int MaxGatherSegments = 8;

    /// <summary>
    /// A multi-segment read up to this size is copied into one pooled buffer and sent with one send: measured on
    /// loopback (bench/RESULTS.md 2026-11-25, "gather or copy"), a copy of 200 B–3.2 KB in two segments costs
    /// 1.6–2.2 µs per send against 2.2–2.9 µs for a gathered sendmsg, and the two are equal at 32 KiB.
    /// </summary>
    private const int MaxCopiedSendBytes = 16 * 1024;

    /// <summary>Reused by every gathered send on a thread (the send is synchronous, so one list per thread is enough).</summary>
    [ThreadStatic]
    private static List<ArraySegment<byte>>? t_gather;

    /// <summary>
    /// Reads what the application flushed and sends it, one read at a time, until the application completes the
    /// output; then sends the FIN. Its task is what <see cref="CloseAsync"/> waits for. A send error completes the
    /// output pipe's reader (with the error, unless the peer is simply gone), so the application's next flush
    /// reports the pipe as completed.
    /// </summary>
    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        Exception? error = null;
        var finished = false;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                if (result.IsCanceled)
                {
                    reader.AdvanceTo(buffer.Start);
                    return; // CloseAsync gave up on the drain
                }

                if (!buffer.IsEmpty)
                {
                    var sending = SendAsync(buffer);
                    if (!sending.IsCompletedSuccessfully)
                    {
                        await sending.ConfigureAwait(false);
                    }
                }

                reader.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    finished = true;
                    return;
                }
            }
        }
        catch (Exception e)
        {
            error = ToPipeError(e);
        }
        finally
        {
            if (finished)
            {
                ShutdownSend();
            }

            await reader.CompleteAsync(error).ConfigureAwait(false);
        }
    }

    /// <summary>The FIN after the last byte, so that the peer reads to the end before the socket is closed.</summary>
    private void ShutdownSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The peer is gone already; closing follows.
        }
    }

    /// <summary>
    /// Sends the whole buffer: synchronously on the non-blocking socket as far as the kernel takes it (one syscall
    /// for a single segment or a small copied one, one per <see cref="MaxGatherSegments"/> segments otherwise), and
    /// only the rest, when the kernel's send buffer is full, asynchronously.
    /// </summary>
    private ValueTask SendAsync(in ReadOnlySequence<byte> buffer)
    {
        if (buffer.IsSingleSegment)
        {
            var memory = buffer.First;
            var sent = SendNow(memory.Span);
            return sent == memory.Length ? default : SendRestAsync(buffer.Slice(sent));
        }

        if (buffer.Length <= MaxCopiedSendBytes)
        {
            return SendCopied(buffer);
        }

        long total = 0;
        var position = buffer.Start;
        while (true)
        {
            var segment = buffer.Slice(position);
            if (segment.IsEmpty)
            {
                return default;
            }

            var expected = 0L;
            var sent = SendGathered(segment, ref expected);
            total += sent;
            if (sent < expected)
            {
                return SendRestAsync(buffer.Slice(total));
            }

            position = buffer.GetPosition(total);
        }
    }

    private ValueTask SendCopied(in ReadOnlySequence<byte> buffer)
    {
        var length = (int)buffer.Length;
        var copy = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer.CopyTo(copy);
            var sent = SendNow(copy.AsSpan(0, length));
            return sent == length ? default : SendRestAsync(buffer.Slice(sent));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    /// <summary>One non-blocking send; returns how much the kernel took (0 when its buffer is full).</summary>
    private int SendNow(ReadOnlySpan<byte> data)
    {
        var sent = _socket.Send(data, SocketFlags.None, out var socketError);
        return socketError switch
        {
            SocketError.Success => sent,
            SocketError.WouldBlock => 0,
            _ => throw new SocketException((int)socketError),
        };
    }

    /// <summary>
    /// One non-blocking sendmsg of the first <see cref="MaxGatherSegments"/> segments of <paramref name="data"/>;
    /// <paramref name="expected"/> is how much that was, the result how much the kernel took. Segments that are not
    /// arrays (a custom pool's native memory) go one by one.
    /// </summary>
    private int SendGathered(in ReadOnlySequence<byte> data, ref long expected)
    {
        var gather = t_gather ??= new List<ArraySegment<byte>>(MaxGatherSegments);
        foreach (var memory in data)
        {
            if (!MemoryMarshal.TryGetArray(memory, out var array))
            {
                if (gather.Count == 0)
                {
                    expected = memory.Length;
                    return SendNow(memory.Span);
                }

                break;
            }

            if (array.Count == 0)
            {
                continue;
            }

            gather.Add(array);
            expected += array.Count;
            if (gather.Count == MaxGatherSegments)
            {
                break;
            }
        }

        try
        {
            var sent = _socket.Send(gather, SocketFlags.None, out var socketError);
            return socketError switch
            {
                SocketError.Success => sent,
                SocketError.WouldBlock => 0,
                _ => throw new SocketException((int)socketError),
            };
        }
        finally
        {
            gather.Clear();
        }
    }

    /// <summary>
    /// The kernel's send buffer is full: the rest goes asynchronously, segment by segment (a slow peer sets the
    /// pace). Pooled builder: a connection that keeps hitting a full buffer does not allocate a box each time.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendRestAsync(ReadOnlySequence<byte> rest)
    {
        foreach (var memory in rest)
        {
            if (!memory.IsEmpty)
            {
                await _socket.SendAsync(memory, SocketFlags.None).ConfigureAwait(false);
            }
        }
    }
}
