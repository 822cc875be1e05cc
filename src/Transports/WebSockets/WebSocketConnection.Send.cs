using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using FastIo.EngineIO;

namespace FastIo.Transports.WebSockets;

/// <summary>
/// Send side: any thread enqueues complete frames under the connection's monitor; a single drain loop (scheduled
/// on the connection's shard, or the thread pool, when the queue becomes non-empty) copies everything queued into the transport and flushes
/// once per batch. Scheduling rather than writing inline lets a burst of sends coalesce into one flush.
/// </summary>
internal sealed partial class WebSocketConnection
{
    /// <summary>§5.5.1: the close reason must fit in a control frame after the 2-byte code.</summary>
    private const int MaxCloseReasonBytes = WebSocketFrameParser.MaxControlPayloadLength - 2;

    // The send state below is guarded by the connection's own monitor (lock (this)) rather than a Lock object: 40 B
    // less per idle connection; nothing outside this class locks a connection.
    private OutboundQueue _sendQueue;
    private long _queuedBytes;          // queued plus in the batch being written/flushed
    private bool _draining;             // a drain loop is scheduled or running
    private bool _closeSent;            // our Close frame is queued: no more frames of any kind (§5.5.1)
    private bool _sendClosed;           // connection finishing: nothing new is accepted
    private bool _sendFailed;           // the transport refused a write
    private TaskCompletionSource? _drainExited;
    private ITimer? _closeTimer;

    /// <summary>True until a Close was sent or received, the connection failed, or it was aborted.</summary>
    public bool IsOpen
    {
        get
        {
            lock (this)
            {
                return !_closeSent && !_sendClosed && !_sendFailed && Volatile.Read(ref _abortCause) == (int)AbortCause.None;
            }
        }
    }

    /// <summary>
    /// True while more than half of <see cref="WebSocketOptions.MaxBufferedSendBytes"/> waits to be written: the peer
    /// reads slower than we send, and volatile messages should be dropped rather than queued.
    /// </summary>
    public bool IsCongested => Volatile.Read(ref _queuedBytes) > _maxBufferedSendBytes / 2;

    /// <summary>For tests: whether the send queue holds a rented array (only while two or more frames wait or are written).</summary>
    internal bool HoldsSendArray
    {
        get
        {
            lock (this)
            {
                return _sendQueue.HoldsArray;
            }
        }
    }

    /// <summary>Lock-free read for the receive loop, which stops delivering messages once we sent Close.</summary>
    private bool IsCloseSent => Volatile.Read(ref _closeSent);

    /// <summary>
    /// Frames <paramref name="payload"/> as one unmasked FIN data frame and queues it. Thread-safe. Returns false
    /// when the connection is closing/closed or the queue would exceed <see cref="WebSocketOptions.MaxBufferedSendBytes"/>.
    /// </summary>
    public bool Send(ReadOnlySpan<byte> payload, WebSocketMessageType type)
    {
        if (payload.Length > Array.MaxLength - WebSocketFrameWriter.MaxHeaderSize)
        {
            return false;
        }

        int frameLength = WebSocketFrameWriter.GetHeaderSize(payload.Length) + payload.Length;
        byte[] rented = ArrayPool<byte>.Shared.Rent(frameLength);
        WebSocketFrameWriter.WriteFrame(rented, WebSocketFrameWriter.ToOpcode(type), payload);
        if (TryEnqueue(new OutboundFrame(rented.AsMemory(0, frameLength), rented), isClose: false, respectLimit: true))
        {
            return true;
        }

        ArrayPool<byte>.Shared.Return(rented);
        return false;
    }

    /// <summary>
    /// Like <see cref="Send(ReadOnlySpan{byte}, WebSocketMessageType)"/> for the payload <paramref name="prefix"/> followed by <paramref name="rest"/> (an
    /// Engine.IO packet: its type byte, then its data), framed straight into the queued buffer with no staging copy.
    /// </summary>
    public bool Send(byte prefix, ReadOnlySpan<byte> rest, WebSocketMessageType type)
    {
        if (rest.Length > Array.MaxLength - WebSocketFrameWriter.MaxHeaderSize - 1)
        {
            return false;
        }

        int payloadLength = rest.Length + 1;
        int headerSize = WebSocketFrameWriter.GetHeaderSize(payloadLength);
        int frameLength = headerSize + payloadLength;
        byte[] rented = ArrayPool<byte>.Shared.Rent(frameLength);
        WebSocketFrameWriter.WriteHeader(rented, WebSocketFrameWriter.ToOpcode(type), fin: true, payloadLength);
        rented[headerSize] = prefix;
        rest.CopyTo(rented.AsSpan(headerSize + 1));
        if (TryEnqueue(new OutboundFrame(rented.AsMemory(0, frameLength), rented), isClose: false, respectLimit: true))
        {
            return true;
        }

        ArrayPool<byte>.Shared.Return(rented);
        return false;
    }

    /// <summary>
    /// Queues an already-encoded frame (see <see cref="WebSocketFrameWriter.BuildFrame"/>) without copying it;
    /// the memory must stay unchanged until written. Same rules and thread-safety as <see cref="Send(ReadOnlySpan{byte}, WebSocketMessageType)"/>.
    /// </summary>
    public bool SendFrame(ReadOnlyMemory<byte> completeFrame) =>
        TryEnqueue(new OutboundFrame(completeFrame, null), isClose: false, respectLimit: true);

    /// <summary>
    /// Like <see cref="SendFrame(ReadOnlyMemory{byte})"/> for a frame inside a shared (possibly pooled) Engine.IO
    /// message: the queue entry holds its own reference to <paramref name="owner"/>, given back once the drain
    /// copied the frame or the queue was dropped, so the buffer cannot be reused while it waits here.
    /// </summary>
    public bool SendFrame(ReadOnlyMemory<byte> completeFrame, EngineMessage owner)
    {
        owner.AddRef();
        if (TryEnqueue(new OutboundFrame(completeFrame, owner), isClose: false, respectLimit: true))
        {
            return true;
        }

        owner.Release();
        return false;
    }

    /// <summary>
    /// Starts the close handshake (§5.5.1, §7.1.2): queues a Close frame, refuses further sends, and aborts the
    /// transport if the peer's Close does not arrive within <see cref="WebSocketOptions.CloseTimeout"/>.
    /// No-op if a Close was already sent. <paramref name="reason"/> must encode to at most 123 UTF-8 bytes.
    /// </summary>
    public void Close(ushort status, string? reason)
    {
        if (!WebSocketCloseCodes.IsValidOnWire(status))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "Not a close code that may be sent (RFC 6455 §7.4).");
        }

        Span<byte> reasonBytes = stackalloc byte[MaxCloseReasonBytes];
        int reasonLength = 0;
        if (!string.IsNullOrEmpty(reason)
            && !Encoding.UTF8.TryGetBytes(reason, reasonBytes, out reasonLength))
        {
            throw new ArgumentException("Close reason exceeds 123 UTF-8 bytes (RFC 6455 §5.5).", nameof(reason));
        }

        TryEnqueueClose(status, reasonBytes[..reasonLength], startTimer: true);
    }

    private bool TryEnqueueClose(ushort status, ReadOnlySpan<byte> reason, bool startTimer)
    {
        Span<byte> payload = stackalloc byte[WebSocketFrameParser.MaxControlPayloadLength];
        BinaryPrimitives.WriteUInt16BigEndian(payload, status);
        reason.CopyTo(payload[2..]);
        return TryEnqueueControl(WebSocketOpcode.Close, payload[..(2 + reason.Length)], startTimer);
    }

    private bool TryEnqueueControl(WebSocketOpcode opcode, ReadOnlySpan<byte> payload, bool startCloseTimer = false)
    {
        int frameLength = WebSocketFrameWriter.GetHeaderSize(payload.Length) + payload.Length;
        byte[] rented = ArrayPool<byte>.Shared.Rent(frameLength);
        WebSocketFrameWriter.WriteFrame(rented, opcode, payload);
        bool isClose = opcode == WebSocketOpcode.Close;

        // A Close must go out even over the buffer bound; a Pong may be dropped (the peer is not reading anyway).
        if (TryEnqueue(new OutboundFrame(rented.AsMemory(0, frameLength), rented), isClose, respectLimit: !isClose, startCloseTimer))
        {
            return true;
        }

        ArrayPool<byte>.Shared.Return(rented);
        return false;
    }

    private bool TryEnqueue(in OutboundFrame frame, bool isClose, bool respectLimit, bool startCloseTimer = false)
    {
        bool schedule = false;
        lock (this)
        {
            if (_closeSent || _sendClosed || _sendFailed || Volatile.Read(ref _abortCause) != (int)AbortCause.None)
            {
                return false;
            }

            long length = frame.Data.Length;
            if (respectLimit && _queuedBytes + length > _maxBufferedSendBytes)
            {
                return false;
            }

            _sendQueue.Add(frame);
            _queuedBytes += length;
            if (isClose)
            {
                _closeSent = true;
                if (startCloseTimer)
                {
                    _closeTimer = _timeProvider.CreateTimer(
                        static state => ((WebSocketConnection)state!).RequestAbort(AbortCause.CloseTimeout),
                        this,
                        _closeTimeout,
                        Timeout.InfiniteTimeSpan);
                }
            }

            if (!_draining)
            {
                _draining = true;
                schedule = true;
            }
        }

        if (schedule)
        {
            if (_shard is { } shard)
            {
                // On the shard, after the work item that sent: a handler's replies and a broadcast's frames for this
                // connection still coalesce, and the drain costs no thread hop when the sender is on the same shard.
                shard.Schedule(static s => ((WebSocketConnection)s!).StartDrain(), this);
            }
            else
            {
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
            }
        }

        return true;
    }

    void IThreadPoolWorkItem.Execute() => StartDrain();

    private void StartDrain() => _ = DrainAsync();

    /// <summary>The only writer of the transport: takes everything queued, writes it, flushes once, repeats.</summary>
    private async Task DrainAsync()
    {
        try
        {
            while (true)
            {
                OutboundQueue batch;
                lock (this)
                {
                    if (_sendQueue.Count == 0 || _sendFailed || Volatile.Read(ref _abortCause) != (int)AbortCause.None)
                    {
                        ExitDrainLocked();
                        return;
                    }

                    batch = _sendQueue.TakeAll();
                }

                long batchBytes = WriteBatch(ref batch, out var emptied);
                FlushResult flush = await _output.FlushAsync().ConfigureAwait(false);

                lock (this)
                {
                    _queuedBytes -= batchBytes;
                    if (emptied is not null && !_sendQueue.TryAdopt(emptied))
                    {
                        ArrayPool<OutboundFrame>.Shared.Return(emptied); // cleared by WriteBatch
                    }

                    if (flush.IsCanceled || flush.IsCompleted)
                    {
                        // Cancelled by Abort, or the transport's reader is gone: nothing more can be delivered.
                        _sendFailed = true;
                    }
                }

                if (flush.IsCompleted)
                {
                    RequestAbort(AbortCause.SendFailed);
                }
            }
        }
        catch (Exception ex)
        {
            WebSocketLog.SendFailed(_logger, ex);
            _sendException = ex;
            lock (this)
            {
                _sendFailed = true;
                ExitDrainLocked();
            }

            RequestAbort(AbortCause.SendFailed);
        }
    }

    /// <summary>Copies the batch into the transport and releases its frames; <paramref name="emptied"/> is its array, cleared, or null.</summary>
    private long WriteBatch(ref OutboundQueue batch, out OutboundFrame[]? emptied)
    {
        long total = 0;
        int released = 0;
        try
        {
            for (int i = 0; i < batch.Count; i++)
            {
                OutboundFrame frame = batch[i];
                ReadOnlySpan<byte> remaining = frame.Data.Span;
                total += remaining.Length;
                while (!remaining.IsEmpty)
                {
                    Span<byte> destination = _output.GetSpan();
                    int count = Math.Min(destination.Length, remaining.Length);
                    remaining[..count].CopyTo(destination);
                    _output.Advance(count);
                    remaining = remaining[count..];
                }

                released++;
                frame.Release();
            }
        }
        finally
        {
            // A write that failed half way still gives back what the rest of the batch holds.
            for (int i = released; i < batch.Count; i++)
            {
                batch[i].Release();
            }

            emptied = batch.Clear();
        }

        return total;
    }

    private void ExitDrainLocked()
    {
        _draining = false;
        if (_sendFailed || Volatile.Read(ref _abortCause) != (int)AbortCause.None)
        {
            ReleaseQueueLocked();
        }
        else
        {
            _sendQueue.ReturnArray(); // empty: the array kept from the last batch goes back to the pool while idle
        }

        _drainExited?.TrySetResult();
    }

    private void ReleaseQueueLocked()
    {
        for (int i = 0; i < _sendQueue.Count; i++)
        {
            _sendQueue[i].Release();
        }

        _sendQueue.ReturnArray();
        _queuedBytes = 0;
    }

    /// <summary>
    /// Stops accepting frames, lets the drain loop flush what is queued (normally our Close) for at most the close
    /// timeout, then completes both halves of the transport so the HTTP layer closes the socket.
    /// </summary>
    private async Task FinishTransportAsync()
    {
        Task? drainExited = null;
        ITimer? timer;
        lock (this)
        {
            _sendClosed = true;
            timer = _closeTimer;
            _closeTimer = null;
            if (_draining)
            {
                _drainExited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                drainExited = _drainExited.Task;
            }
        }

        if (timer is not null)
        {
            await timer.DisposeAsync().ConfigureAwait(false);
        }

        if (drainExited is not null)
        {
            try
            {
                await drainExited.WaitAsync(_closeTimeout, _timeProvider).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The peer is not reading: give up on the last frames.
                RequestAbort(AbortCause.SendFailed);
                _output.CancelPendingFlush();
                await drainExited.ConfigureAwait(false);
            }
        }

        lock (this)
        {
            ReleaseQueueLocked();
        }

        Volatile.Write(ref _transportCompleted, true);
        try
        {
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        finally
        {
            await _input.CompleteAsync().ConfigureAwait(false); // both halves, even when a custom pipe's output threw
        }
    }

    /// <summary>
    /// A queued frame and what owns its memory, given back once the frame was copied to the transport (or dropped):
    /// a buffer rented from <see cref="ArrayPool{T}.Shared"/>, a reference to a shared Engine.IO message, or nothing.
    /// </summary>
    private readonly record struct OutboundFrame(ReadOnlyMemory<byte> Data, object? Owner)
    {
        public void Release()
        {
            if (Owner is byte[] rented)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
            else if (Owner is EngineMessage shared)
            {
                shared.Release();
            }
        }
    }
}
