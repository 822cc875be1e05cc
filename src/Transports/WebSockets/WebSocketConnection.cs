using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Unicode;
using FastIo.Transports.Hosting;
using FastIo.Transports.Http;
using FastIo.Transports.Sharding;
using Microsoft.Extensions.Logging;

namespace FastIo.Transports.WebSockets;

/// <summary>
/// Server side of one WebSocket connection (RFC 6455) over an <see cref="IDuplexPipe"/> whose 101 response was
/// already written. This file is the receive side (frame parsing, reassembly, control frames, close handshake
/// and teardown); WebSocketConnection.Send.cs is the single-writer send queue.
/// </summary>
internal sealed partial class WebSocketConnection : IThreadPoolWorkItem, IUpgradedProtocol
{
    /// <summary>
    /// A frame up to this size (header + payload) waits in the pipe until it is whole and is then delivered
    /// without copying; larger ones are streamed into a pooled buffer. Must stay well below the transport
    /// pipe's pause threshold (64 KiB by default) or the writer would stall waiting for us to consume.
    /// </summary>
    internal const int MaxFrameBufferedInPipe = 16 * 1024;

    /// <summary>First rental for reassembly; grown by doubling up to the message limit.</summary>
    private const int MinAssemblyBufferSize = 4 * 1024;

    private static readonly Action<object?> s_ended = static _ => { };
    private static readonly Action<object?> s_onReadCompleted = static state => ((WebSocketConnection)state!).OnReadCompleted();
    private static readonly Action<object?> s_startOnShard = static state => ((WebSocketConnection)state!).Receive(readCompleted: false);
    private static readonly Action<object?> s_resumeOnShard = static state => ((WebSocketConnection)state!).Receive(readCompleted: true);

    private static ReadOnlySpan<byte> ProtocolErrorReason => "protocol error"u8;
    private static ReadOnlySpan<byte> InvalidPayloadReason => "invalid payload data"u8;
    private static ReadOnlySpan<byte> MessageTooBigReason => "message too big"u8;
    private static ReadOnlySpan<byte> InternalErrorReason => "internal error"u8;

    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly IWebSocketHandler _handler;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly long _maxMessageBytes;
    private readonly long _maxBufferedSendBytes;
    private readonly TimeSpan _closeTimeout;
    private readonly ShardScheduler? _shard;

    // Receive state: only touched by the receive loop.
    private bool _messageInProgress;
    private WebSocketMessageType _messageType;
    /// <summary>The first assembly buffer is at most this large; it doubles as the payload arrives.</summary>
    private const int MaxInitialAssemblyBytes = 64 * 1024;

    private byte[]? _assembly;
    private int _assembled;
    private Utf8StreamValidator _utf8;
    private bool _inFramePayload;
    private WebSocketFrameHeader _frame;
    private long _frameRemaining;
    private int _maskOffset;

    // Termination: the first AbortCause wins; written from any thread.
    private int _abortCause;
    private int _runStarted;
    private Action<object?>? _endedCallback; // under lock (this); s_ended once the connection has ended
    private object? _endedState;
    private Exception? _sendException;
    private bool _transportCompleted;

    /// <remarks><paramref name="shard"/> serves the connection: frames are processed and the send queue drained there.
    /// Null (tests, standalone use) processes frames where the pipe resumes and drains on the thread pool.</remarks>
    public WebSocketConnection(IDuplexPipe transport, IWebSocketHandler handler, WebSocketOptions options, ILogger logger, TimeProvider? timeProvider = null, ShardScheduler? shard = null)
    {
        _shard = shard;
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxMessageBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxBufferedSendBytes);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CloseTimeout, TimeSpan.Zero);

        _input = transport.Input;
        _output = transport.Output;
        _handler = handler;
        _logger = logger;
        _timeProvider = timeProvider ?? TimeProvider.System;

        // Snapshot the options: they are mutable and may be shared between connections.
        _maxMessageBytes = Math.Min(options.MaxMessageBytes, Array.MaxLength);
        _maxBufferedSendBytes = options.MaxBufferedSendBytes;
        _closeTimeout = options.CloseTimeout;
    }

    /// <summary>For tests: whether the connection has ended (an end callback registered now runs at once).</summary>
    internal bool HasEnded
    {
        get
        {
            lock (this)
            {
                return ReferenceEquals(_endedCallback, s_ended);
            }
        }
    }

    /// <summary>For tests: whether a reassembly buffer is rented (only while a streamed/fragmented message is incomplete).</summary>
    internal bool HoldsReceiveBuffer => Volatile.Read(ref _assembly) is not null;

    private enum AbortCause
    {
        None = 0,
        Aborted,
        Canceled,
        CloseTimeout,
        SendFailed,
    }

    /// <summary>
    /// Starts the receive loop, which runs on the calling thread up to its first read that must wait and goes on
    /// where the reads complete (on the shard, when there is one). When the connection is finished it completes the
    /// transport, calls <see cref="IWebSocketHandler.OnClosed"/> exactly once and then the callback of
    /// <see cref="OnEnded"/>. Peer and protocol errors never make it throw.
    /// </summary>
    /// <remarks>
    /// The loop is a callback on the read, not an async method: a waiting connection holds no async frame and no
    /// task (a 256-byte state machine box per idle connection before; bench/RESULTS.md 2026-11-26 "receive callback").
    /// Reads of a <see cref="IReadCallbackSource"/> (the host's sockets) are waited on with a static callback; other
    /// pipes' reads are awaited (<see cref="ReceiveByAwaitingAsync"/>).
    /// </remarks>
    public void Start()
    {
        if (Interlocked.Exchange(ref _runStarted, 1) != 0)
        {
            throw new InvalidOperationException("The connection was already started.");
        }

        if (_shard is { IsCurrent: false } shard)
        {
            shard.Schedule(s_startOnShard, this); // frames are processed on the shard only (the host starts it there)
            return;
        }

        Receive(readCompleted: false);
    }

    /// <summary>
    /// <see cref="Start"/>, as a task that completes when the connection has ended (after
    /// <see cref="IWebSocketHandler.OnClosed"/>); cancelling <paramref name="cancellationToken"/> acts like
    /// <see cref="Abort"/>. For callers that want to await the connection (tests, standalone use).
    /// </summary>
    public Task RunAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _runStarted) != 0)
        {
            throw new InvalidOperationException("The connection was already started.");
        }

        var ended = new TaskCompletionSource();
        var registration = default(CancellationTokenRegistration);
        OnEnded(_ =>
        {
            registration.Dispose();
            ended.SetResult();
        }, null);
        registration = cancellationToken.Register(static state => ((WebSocketConnection)state!).RequestAbort(AbortCause.Canceled), this);
        Start();
        return ended.Task;
    }

    /// <inheritdoc/>
    public void OnEnded(Action<object?> callback, object? state)
    {
        ArgumentNullException.ThrowIfNull(callback);
        lock (this)
        {
            if (!ReferenceEquals(_endedCallback, s_ended))
            {
                if (_endedCallback is not null)
                {
                    throw new InvalidOperationException("Another end callback is waiting already.");
                }

                _endedCallback = callback;
                _endedState = state;
                return;
            }
        }

        callback(state);
    }

    /// <summary>
    /// Reads and handles frames until a read must wait (its completion comes back here with
    /// <paramref name="readCompleted"/> true, to take that read's result first) or the connection ends.
    /// </summary>
    private void Receive(bool readCompleted)
    {
        try
        {
            while (true)
            {
                ReadResult result;
                if (readCompleted)
                {
                    readCompleted = false;
                    result = ((IReadCallbackSource)_input).GetPendingReadResult();
                }
                else
                {
                    if (!TryStartRead(out ValueTask<ReadResult> read))
                    {
                        return;
                    }

                    if (!read.IsCompleted)
                    {
                        WaitForRead(read);
                        return;
                    }

                    result = read.Result;
                }

                if (HandleRead(result, out CloseOutcome outcome))
                {
                    End(outcome);
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            ReceiveFailed(ex);
        }
    }

    /// <summary>Starts the next read, unless the connection was aborted meanwhile: then it ends here (false).</summary>
    private bool TryStartRead(out ValueTask<ReadResult> read)
    {
        if (Volatile.Read(ref _abortCause) != (int)AbortCause.None)
        {
            End(AbortOutcome());
            read = default;
            return false;
        }

        read = _input.ReadAsync(CancellationToken.None); // cancellation: RequestAbort cancels the read
        return true;
    }

    private void WaitForRead(ValueTask<ReadResult> read)
    {
        if (_input is IReadCallbackSource source)
        {
            source.OnPendingReadCompleted(s_onReadCompleted, this);
            return;
        }

        _ = ReceiveByAwaitingAsync(read);
    }

    private void OnReadCompleted()
    {
        if (_shard is { IsCurrent: false } shard)
        {
            // A reader scheduler that is not the shard's: process frames on the shard anyway, after one hop. The
            // host's own connections resume here directly.
            shard.Schedule(s_resumeOnShard, this);
            return;
        }

        Receive(readCompleted: true);
    }

    /// <summary>
    /// The receive loop from its first wait on, for a pipe that is not a <see cref="IReadCallbackSource"/> (a custom
    /// host's, an in-memory one): the same loop as an async method, whose frame stays with the waiting connection.
    /// Not a callback through the read's awaiter: the thread pool (System.IO.Pipelines' default reader scheduler)
    /// resumes an async frame as it is, but wraps an awaiter's delegate in a new work item at every read.
    /// </summary>
    private async Task ReceiveByAwaitingAsync(ValueTask<ReadResult> read)
    {
        try
        {
            while (true)
            {
                ReadResult result = await read.ConfigureAwait(false);
                if (_shard is { IsCurrent: false } shard)
                {
                    await shard.SwitchTo(); // see OnReadCompleted
                }

                if (HandleRead(result, out CloseOutcome outcome))
                {
                    End(outcome);
                    return;
                }

                if (!TryStartRead(out read))
                {
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            ReceiveFailed(ex);
        }
    }

    /// <summary>
    /// The transport's read or advancing it threw, or something else escaped <see cref="HandleRead"/> (a logging
    /// provider that throws): the connection ends with that error. Nothing may escape: the loop runs as a callback,
    /// so an escaped exception would leave the connection open with nobody reading.
    /// </summary>
    private void ReceiveFailed(Exception ex)
    {
        End(new CloseOutcome(null, null, ex));
        try
        {
            WebSocketLog.ReceiveFailed(_logger, ex);
        }
        catch (Exception)
        {
            // The logger itself failed; the connection has ended all the same.
        }
    }

    /// <summary>The receive loop is over: finish the transport, tell the handler, then whoever waits for the end.</summary>
    private void End(CloseOutcome outcome) => _ = EndAsync(outcome);

    private async Task EndAsync(CloseOutcome outcome)
    {
        try
        {
            try
            {
                await FinishTransportAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                WebSocketLog.FinishFailed(_logger, ex); // only a custom pipe's completion can throw
            }

            ReleaseAssemblyBuffer();

            try
            {
                _handler.OnClosed(outcome.Status, outcome.Reason, outcome.Error);
            }
            catch (Exception ex)
            {
                WebSocketLog.OnClosedFailed(_logger, ex);
            }
        }
        finally
        {
            // Even when a logger threw above: whoever waits for the end (the host, to close the socket) must hear it.
            Action<object?>? callback;
            object? state;
            lock (this)
            {
                callback = _endedCallback;
                state = _endedState;
                _endedCallback = s_ended;
                _endedState = null;
            }

            callback?.Invoke(state);
        }
    }

    /// <summary>Immediately tears the connection down without a close handshake.</summary>
    public void Abort() => RequestAbort(AbortCause.Aborted);

    private void RequestAbort(AbortCause cause)
    {
        if (Volatile.Read(ref _transportCompleted)
            || Interlocked.CompareExchange(ref _abortCause, (int)cause, (int)AbortCause.None) != (int)AbortCause.None)
        {
            return;
        }

        if (cause == AbortCause.CloseTimeout)
        {
            WebSocketLog.CloseTimedOut(_logger, _closeTimeout);
        }

        // Both are safe from any thread: they wake the receive loop and the drain loop, which then finish.
        _input.CancelPendingRead();
        _output.CancelPendingFlush();
    }

    /// <summary>Handles one read of the receive loop; true when the connection is finished, with its outcome.</summary>
    private bool HandleRead(in ReadResult result, out CloseOutcome outcome)
    {
        if (result.IsCanceled)
        {
            outcome = AbortOutcome();
            return true;
        }

        ReadOnlySequence<byte> buffer = result.Buffer;
        SequencePosition consumed;
        bool finished;
        try
        {
            finished = ProcessBuffer(buffer, out consumed, out outcome);
        }
        catch (WebSocketProtocolException ex)
        {
            _input.AdvanceTo(buffer.End);
            outcome = FailConnection(ex);
            return true;
        }
        catch (Exception ex)
        {
            // Only the handler can throw anything else; treat it as our internal error (§7.4.1 1011).
            _input.AdvanceTo(buffer.End);
            WebSocketLog.HandlerFailed(_logger, ex);
            TryEnqueueClose(WebSocketCloseCodes.InternalError, InternalErrorReason, startTimer: false);
            outcome = new CloseOutcome(WebSocketCloseCodes.InternalError, "internal error", ex);
            return true;
        }

        // Everything up to `consumed` is done; the rest is an incomplete frame we have looked at in full.
        _input.AdvanceTo(consumed, buffer.End);
        if (finished)
        {
            return true;
        }

        if (result.IsCompleted)
        {
            // TCP closed without a Close frame: abnormal closure, 1006 semantics (§7.1.5).
            outcome = new CloseOutcome(null, null, null);
            return true;
        }

        return false;
    }

    private CloseOutcome FailConnection(WebSocketProtocolException ex)
    {
        // §7.1.7 "Fail the WebSocket Connection": send a Close with the code, then drop the connection.
        WebSocketLog.ProtocolError(_logger, ex.CloseStatus, ex.Message);
        ReadOnlySpan<byte> reason = ex.CloseStatus switch
        {
            WebSocketCloseCodes.InvalidPayloadData => InvalidPayloadReason,
            WebSocketCloseCodes.MessageTooBig => MessageTooBigReason,
            _ => ProtocolErrorReason,
        };
        TryEnqueueClose(ex.CloseStatus, reason, startTimer: false);
        return new CloseOutcome(ex.CloseStatus, Encoding.UTF8.GetString(reason), ex);
    }

    private CloseOutcome AbortOutcome()
    {
        Exception error = (AbortCause)Volatile.Read(ref _abortCause) switch
        {
            AbortCause.CloseTimeout => new TimeoutException("The peer did not answer our Close frame within the close timeout."),
            AbortCause.Canceled => new OperationCanceledException("The WebSocket connection was cancelled."),
            AbortCause.SendFailed => _sendException ?? new IOException("Sending to the WebSocket peer failed."),
            _ => new OperationCanceledException("The WebSocket connection was aborted."),
        };
        return new CloseOutcome(null, null, error);
    }

    /// <summary>Parses and handles every complete frame in the buffer. Returns true once a Close frame was handled.</summary>
    private bool ProcessBuffer(in ReadOnlySequence<byte> buffer, out SequencePosition consumed, out CloseOutcome outcome)
    {
        var reader = new SequenceReader<byte>(buffer);
        outcome = default;
        while (Volatile.Read(ref _abortCause) == (int)AbortCause.None)
        {
            if (_inFramePayload)
            {
                if (_frameRemaining > 0)
                {
                    CopyPayloadIntoAssembly(ref reader);
                    if (_frameRemaining > 0)
                    {
                        break; // the rest of this frame has not arrived yet
                    }
                }

                _inFramePayload = false;
                if (_frame.Fin)
                {
                    DeliverAssembledMessage();
                }

                continue;
            }

            long frameStart = reader.Consumed;
            WebSocketFrameParseStatus status = WebSocketFrameParser.TryParseHeader(ref reader, _messageInProgress, out WebSocketFrameHeader header, out ushort errorStatus, out string? error);
            if (status == WebSocketFrameParseStatus.Incomplete)
            {
                break;
            }

            if (status == WebSocketFrameParseStatus.Error)
            {
                throw new WebSocketProtocolException(errorStatus, error!);
            }

            if (header.IsControl)
            {
                // Control payloads are tiny (§5.5); wait until the whole frame is in the pipe.
                if (reader.Remaining < header.PayloadLength)
                {
                    reader.Rewind(reader.Consumed - frameStart);
                    break;
                }

                if (HandleControlFrame(ref reader, header, out outcome))
                {
                    consumed = reader.Position;
                    return true;
                }

                continue;
            }

            long messageLength = header.PayloadLength + (_messageInProgress ? _assembled : 0);
            if (messageLength > _maxMessageBytes)
            {
                throw new WebSocketProtocolException(WebSocketCloseCodes.MessageTooBig, $"Message of {messageLength} bytes exceeds the limit of {_maxMessageBytes}.");
            }

            if (!_messageInProgress && header.Fin)
            {
                if (reader.Remaining >= header.PayloadLength)
                {
                    DeliverInPlace(ref reader, header);
                    continue;
                }

                if (header.HeaderLength + header.PayloadLength <= MaxFrameBufferedInPipe)
                {
                    reader.Rewind(reader.Consumed - frameStart);
                    break;
                }

                BeginAssembly(header.Opcode, header.PayloadLength);
            }
            else if (!_messageInProgress)
            {
                BeginAssembly(header.Opcode, Math.Max(header.PayloadLength, MinAssemblyBufferSize));
                _messageInProgress = true;
            }
            _frame = header;
            _frameRemaining = header.PayloadLength;
            _maskOffset = 0;
            _inFramePayload = true;
        }

        consumed = reader.Position;
        return false;
    }

    /// <summary>Single-frame message entirely in the pipe: unmask in place and hand the pipe's memory to the handler.</summary>
    private void DeliverInPlace(ref SequenceReader<byte> reader, in WebSocketFrameHeader header)
    {
        ReadOnlySequence<byte> payload = reader.UnreadSequence.Slice(0, header.PayloadLength);
        int offset = 0;
        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            // The bytes are ours until we AdvanceTo past them, so writing into the pipe's memory is safe.
            offset = WebSocketMasking.Apply(MemoryMarshal.AsMemory(segment).Span, header.Mask, offset);
        }

        var type = ToMessageType(header.Opcode);
        if (type == WebSocketMessageType.Text && !Utf8StreamValidator.IsValid(payload))
        {
            throw new WebSocketProtocolException(WebSocketCloseCodes.InvalidPayloadData, "Text message is not valid UTF-8.");
        }

        reader.Advance(header.PayloadLength);
        if (!IsCloseSent)
        {
            _handler.OnMessage(type, payload);
        }
    }

    private void BeginAssembly(WebSocketOpcode opcode, long initialCapacity)
    {
        _messageType = ToMessageType(opcode);
        _utf8.Reset();
        _assembled = 0;
        // A frame header only claims a length: the buffer grows as payload bytes actually arrive, so that a peer
        // cannot make us hold MaxMessageBytes with 14 bytes.
        _assembly = ArrayPool<byte>.Shared.Rent((int)Math.Min(Math.Min(initialCapacity, _maxMessageBytes), MaxInitialAssemblyBytes));
    }

    private void EnsureAssemblyCapacity(long required)
    {
        byte[] current = _assembly!;
        if (required <= current.Length)
        {
            return;
        }

        long grown = Math.Min(Math.Max(required, (long)current.Length * 2), _maxMessageBytes);
        byte[] larger = ArrayPool<byte>.Shared.Rent((int)grown);
        current.AsSpan(0, _assembled).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(current);
        _assembly = larger;
    }

    private void CopyPayloadIntoAssembly(ref SequenceReader<byte> reader)
    {
        while (_frameRemaining > 0 && !reader.End)
        {
            ReadOnlySpan<byte> source = reader.UnreadSpan;
            int take = (int)Math.Min(source.Length, _frameRemaining);
            EnsureAssemblyCapacity(_assembled + take);
            Span<byte> destination = _assembly.AsSpan(_assembled, take);
            source[..take].CopyTo(destination);
            _maskOffset = WebSocketMasking.Apply(destination, _frame.Mask, _maskOffset);

            // Validate text as it arrives so a bad fragment fails fast (§8.1), including code points split across frames.
            if (_messageType == WebSocketMessageType.Text && !_utf8.Append(destination))
            {
                throw new WebSocketProtocolException(WebSocketCloseCodes.InvalidPayloadData, "Text message is not valid UTF-8.");
            }

            _assembled += take;
            _frameRemaining -= take;
            reader.Advance(take);
        }
    }

    private void DeliverAssembledMessage()
    {
        if (_messageType == WebSocketMessageType.Text && !_utf8.Complete())
        {
            throw new WebSocketProtocolException(WebSocketCloseCodes.InvalidPayloadData, "Text message ends inside a UTF-8 sequence.");
        }

        byte[] buffer = _assembly!;
        int length = _assembled;
        _assembly = null;
        _assembled = 0;
        _messageInProgress = false;
        try
        {
            if (!IsCloseSent)
            {
                _handler.OnMessage(_messageType, new ReadOnlySequence<byte>(buffer, 0, length));
            }
        }
        finally
        {
            // Returned after every message so an idle connection holds no receive buffer.
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void ReleaseAssemblyBuffer()
    {
        if (_assembly is { } buffer)
        {
            _assembly = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Handles Ping/Pong/Close (§5.5); returns true when the connection is finished (Close received).</summary>
    private bool HandleControlFrame(ref SequenceReader<byte> reader, in WebSocketFrameHeader header, out CloseOutcome outcome)
    {
        outcome = default;
        int length = (int)header.PayloadLength;
        Span<byte> payload = stackalloc byte[WebSocketFrameParser.MaxControlPayloadLength].Slice(0, length);
        reader.TryCopyTo(payload);
        reader.Advance(length);
        WebSocketMasking.Apply(payload, header.Mask, 0);

        switch (header.Opcode)
        {
            case WebSocketOpcode.Ping:
                // §5.5.2/§5.5.3: answer with a Pong carrying the same application data.
                TryEnqueueControl(WebSocketOpcode.Pong, payload);
                return false;
            case WebSocketOpcode.Pong:
                return false; // §5.5.3: unsolicited Pongs need no response
            default:
                outcome = HandleCloseFrame(payload);
                return true;
        }
    }

    private CloseOutcome HandleCloseFrame(ReadOnlySpan<byte> payload)
    {
        // §5.5.1: an optional 2-byte code, then an optional UTF-8 reason.
        if (payload.Length == 1)
        {
            throw new WebSocketProtocolException("Close frame payload of one byte.");
        }

        ushort? status = null;
        string? reason = null;
        if (payload.Length >= 2)
        {
            ushort code = BinaryPrimitives.ReadUInt16BigEndian(payload);
            if (!WebSocketCloseCodes.IsValidOnWire(code))
            {
                throw new WebSocketProtocolException($"Invalid close code {code}.");
            }

            ReadOnlySpan<byte> reasonBytes = payload[2..];
            if (!Utf8.IsValid(reasonBytes))
            {
                throw new WebSocketProtocolException(WebSocketCloseCodes.InvalidPayloadData, "Close reason is not valid UTF-8.");
            }

            status = code;
            reason = reasonBytes.IsEmpty ? null : Encoding.UTF8.GetString(reasonBytes);
        }

        // §5.5.1: if we have not sent a Close yet, echo the code (1000 when the peer gave none). No-op otherwise.
        TryEnqueueClose(status ?? WebSocketCloseCodes.NormalClosure, ReadOnlySpan<byte>.Empty, startTimer: false);

        // §7.1.5: a Close frame without a code means status 1005.
        return new CloseOutcome(status ?? WebSocketCloseCodes.NoStatusReceived, reason, null);
    }

    private static WebSocketMessageType ToMessageType(WebSocketOpcode opcode) =>
        opcode == WebSocketOpcode.Text ? WebSocketMessageType.Text : WebSocketMessageType.Binary;

    private readonly record struct CloseOutcome(ushort? Status, string? Reason, Exception? Error);
}
