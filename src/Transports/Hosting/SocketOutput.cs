using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;

namespace FastIo.Transports.Hosting;

/// <summary>
/// The output of a socket connection (<see cref="SocketAcceptedConnection"/>, <see cref="Epoll.EpollConnection"/>): a <see cref="PipeWriter"/> that sends what was written on
/// <see cref="FlushAsync"/>, on the flushing thread, with one send per flush (frames written before a flush coalesce,
/// as they did in an output pipe), and the FIN on <see cref="Complete"/> after the last bytes.
/// </summary>
/// <remarks>
/// <para>Replaces an output <see cref="Pipe"/> read by a send loop: the pipe, its cached segments and the loop's pending
/// state machine were ~650 B per idle connection (bench/RESULTS.md 2026-11-25, "mem"); this holds no buffer while
/// idle (one pooled array is rented per flush and returned once sent) and no pending operation.</para>
/// <para>Backpressure: a flush completes when the kernel took every byte, so a peer that does not read holds its
/// writer in FlushAsync (the WebSocket layer's MaxBufferedSendBytes then limits what queues up behind it). The first
/// try is a non-blocking send; only the rest, when the kernel's send buffer is full, goes asynchronously.</para>
/// <para><see cref="CancelPendingFlush"/> means "give up": a pending flush ends with IsCanceled and its unsent rest is
/// abandoned (the byte stream is cut mid-write, so the output fails from then on); with no flush pending, the next
/// flush returns IsCanceled and leaves its bytes buffered, as a pipe's does. A send error completes the writer like a
/// completed pipe reader does: a gone peer makes flushes report IsCompleted, any other error is thrown by them.</para>
/// </remarks>
internal sealed class SocketOutput : PipeWriter
{
    /// <summary>The smallest buffer rented: the pools' first bucket, and a typical drain's frames fit in it.</summary>
    private const int MinimumBufferSize = 4096;

    private readonly ISocketSender _connection;
    private byte[]? _buffer;
    private int _written;
    private bool _completed;
    private int _cancelNextFlush;
    private volatile bool _failed;
    private Exception? _failure;

    // Under lock (this): the pending asynchronous send (a flush's rest, or the last bytes of a completed writer), how it
    // can be given up, whether the writer completed while it ran, and the end of sending for CloseAsync. The writer's
    // own monitor rather than a Lock object of its own: 40 B less per idle connection (S1), and the writer is internal,
    // so nothing else locks it.
    private CancellationTokenSource? _pendingSend;
    private bool _completedWhileSending;
    private bool _finishAfterSend;
    private bool _finished;
    private bool _finishedCleanly;
    private TaskCompletionSource? _finishedSignal;

    public SocketOutput(ISocketSender connection)
    {
        _connection = connection;
    }

    /// <summary>Whether a buffer is rented (false on an idle connection: nothing unflushed and nothing being sent).</summary>
    internal bool HoldsBuffer => Volatile.Read(ref _buffer) is not null;

    /// <summary>True once sending ended with the FIN after everything written (false after a failure or while sending).</summary>
    internal bool FinishedCleanly
    {
        get
        {
            lock (this)
            {
                return _finishedCleanly;
            }
        }
    }

    public override bool CanGetUnflushedBytes => true;

    public override long UnflushedBytes => _written;

    /// <summary>Completes when sending has ended: the writer completed and its bytes and FIN were sent, or the output failed.</summary>
    internal Task WhenFinished()
    {
        lock (this)
        {
            return _finished ? Task.CompletedTask
                : (_finishedSignal ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    /// <summary>
    /// Gives up on whatever has not been sent (CloseAsync's drain timeout): a pending send is cancelled, and sending
    /// counts as finished, not cleanly, even if the application never completes the writer.
    /// </summary>
    internal void Abandon()
    {
        lock (this)
        {
            _pendingSend?.Cancel();
            _failed = true;
            FinishLocked(cleanly: false);
        }
    }

    public override void Advance(int bytes)
    {
        if ((uint)bytes > (uint)((_buffer?.Length ?? 0) - _written))
        {
            throw new ArgumentOutOfRangeException(nameof(bytes), "Advanced past the end of the buffer obtained.");
        }

        _written += bytes;
    }

    public override Memory<byte> GetMemory(int sizeHint = 0) => EnsureWritable(sizeHint).AsMemory(_written);

    public override Span<byte> GetSpan(int sizeHint = 0) => EnsureWritable(sizeHint).AsSpan(_written);

    public override void CancelPendingFlush()
    {
        lock (this)
        {
            if (_pendingSend is { } pending)
            {
                pending.Cancel();
            }
            else
            {
                _cancelNextFlush = 1;
            }
        }
    }

    public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_failed)
        {
            return Failed();
        }

        if (Interlocked.Exchange(ref _cancelNextFlush, 0) != 0)
        {
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: true, isCompleted: false));
        }

        if (_written == 0)
        {
            return default;
        }

        int sent;
        try
        {
            sent = _connection.SendNow(_buffer.AsSpan(0, _written));
        }
        catch (Exception e)
        {
            Fail(e);
            return Failed();
        }

        if (sent == _written)
        {
            ReleaseBuffer();
            return default;
        }

        return FlushRestAsync(sent, cancellationToken);
    }

    public override void Complete(Exception? exception = null)
    {
        lock (this)
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            if (_pendingSend is not null)
            {
                // Completed while a flush is still sending (not how a writer should be used): the end follows it.
                _completedWhileSending = true;
                _finishAfterSend = exception is null;
                return;
            }
        }

        if (exception is not null || _failed)
        {
            // A writer failing is not the end of a response: no FIN, whatever was not flushed is dropped.
            ReleaseBuffer();
            Finish(cleanly: false);
            return;
        }

        // As with a pipe, bytes written but not flushed are still delivered.
        var sent = 0;
        if (_written > 0)
        {
            try
            {
                sent = _connection.SendNow(_buffer.AsSpan(0, _written));
            }
            catch (Exception e)
            {
                Fail(e);
                return;
            }
        }

        if (sent == _written)
        {
            ReleaseBuffer();
            ShutdownSendAndFinish();
            return;
        }

        _ = SendLastAsync(sent);
    }

    /// <summary>The kernel's send buffer is full: the rest of a flush goes asynchronously (a slow peer sets the pace).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<FlushResult> FlushRestAsync(int offset, CancellationToken cancellationToken)
    {
        var pending = BeginPendingSend(cancellationToken, out var registration);
        try
        {
            await SendRestAsync(offset, pending.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (pending.IsCancellationRequested)
        {
            Fail(null);
            return new FlushResult(isCanceled: true, isCompleted: false);
        }
        catch (Exception e)
        {
            Fail(e);
            if (_failure is { } failure)
            {
                ExceptionDispatchInfo.Throw(failure);
            }

            return new FlushResult(isCanceled: false, isCompleted: true);
        }
        finally
        {
            await registration.DisposeAsync().ConfigureAwait(false);
            EndPendingSend(pending);
        }

        ReleaseBuffer();
        bool completed;
        bool finish;
        lock (this)
        {
            completed = _completedWhileSending;
            finish = _finishAfterSend;
        }

        if (finish)
        {
            ShutdownSendAndFinish();
        }
        else if (completed)
        {
            Finish(cleanly: false);
        }

        return default;
    }

    /// <summary>The last bytes of a completed writer that the kernel did not take at once, then the FIN.</summary>
    private async Task SendLastAsync(int offset)
    {
        var pending = BeginPendingSend(CancellationToken.None, out _);
        try
        {
            await SendRestAsync(offset, pending.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Fail(e is OperationCanceledException ? null : e);
            return;
        }
        finally
        {
            EndPendingSend(pending);
        }

        ReleaseBuffer();
        ShutdownSendAndFinish();
    }

    private async ValueTask SendRestAsync(int offset, CancellationToken cancellationToken)
    {
        while (offset < _written)
        {
            offset += await _connection.SendAsync(_buffer.AsMemory(offset, _written - offset), cancellationToken).ConfigureAwait(false);
        }
    }

    private CancellationTokenSource BeginPendingSend(CancellationToken cancellationToken, out CancellationTokenRegistration registration)
    {
        var pending = new CancellationTokenSource();
        registration = cancellationToken.CanBeCanceled
            ? cancellationToken.UnsafeRegister(static s => ((CancellationTokenSource)s!).Cancel(), pending)
            : default;
        lock (this)
        {
            _pendingSend = pending;
            if (_failed || Interlocked.Exchange(ref _cancelNextFlush, 0) != 0)
            {
                pending.Cancel(); // abandoned, or CancelPendingFlush came between the first try and now
            }
        }

        return pending;
    }

    private void EndPendingSend(CancellationTokenSource pending)
    {
        lock (this)
        {
            _pendingSend = null;
        }

        pending.Dispose();
    }

    private byte[] EnsureWritable(int sizeHint)
    {
        if (_completed)
        {
            throw new InvalidOperationException("Writing is not allowed after the writer was completed.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(sizeHint);
        sizeHint = Math.Max(sizeHint, 1);
        var buffer = _buffer;
        if (buffer is null)
        {
            buffer = ArrayPool<byte>.Shared.Rent(Math.Max(sizeHint, MinimumBufferSize));
            Volatile.Write(ref _buffer, buffer);
        }
        else if (buffer.Length - _written < sizeHint)
        {
            // One contiguous buffer, so that every flush is one send: grow by doubling (a large response is copied a
            // few times at most; a WebSocket drain's frames fit in the first 4 KiB).
            var size = (int)Math.Min(Array.MaxLength, Math.Max((long)_written + sizeHint, 2L * buffer.Length));
            var larger = ArrayPool<byte>.Shared.Rent(size);
            buffer.AsSpan(0, _written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = larger;
            Volatile.Write(ref _buffer, buffer);
        }

        return buffer;
    }

    private void ReleaseBuffer()
    {
        var buffer = _buffer;
        _written = 0;
        if (buffer is not null)
        {
            Volatile.Write(ref _buffer, null);
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The output failed (<paramref name="error"/> null: the peer is gone, or the send was given up).</summary>
    private void Fail(Exception? error)
    {
        _failure ??= error is null ? null : SocketConnection.ToPipeError(error);
        _failed = true;
        ReleaseBuffer();
        Finish(cleanly: false);
    }

    /// <summary>What a flush of a failed output returns, as a pipe whose reader completed does: the error, if any, is thrown.</summary>
    private ValueTask<FlushResult> Failed() => _failure is { } failure
        ? ValueTask.FromException<FlushResult>(failure)
        : new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: true));

    private void ShutdownSendAndFinish()
    {
        _connection.ShutdownSend();
        Finish(cleanly: true);
    }

    private void Finish(bool cleanly)
    {
        lock (this)
        {
            FinishLocked(cleanly);
        }
    }

    private void FinishLocked(bool cleanly)
    {
        if (_finished)
        {
            return;
        }

        _finished = true;
        _finishedCleanly = cleanly;
        _finishedSignal?.TrySetResult();
    }
}
