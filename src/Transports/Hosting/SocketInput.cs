using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Sources;

namespace FastIo.Transports.Hosting;

/// <summary>
/// The input of a <see cref="SocketAcceptedConnection"/>: a <see cref="PipeReader"/> fed directly by the socket's
/// receive loop, which appends each receive as one segment (<see cref="RentSegment"/>, <see cref="Append"/>), holding
/// nothing while the connection is idle: no buffer, no segment, no pipe.
/// </summary>
/// <remarks>
/// <para>Replaces an input <see cref="Pipe"/>, whose object, options, cached segment, segment stack, reader, writer
/// and lock object stayed with every idle connection (~620 B; bench/RESULTS.md 2026-11-26 "s1"); this is one object.
/// Segments are pooled process-wide and their blocks come from the array pool (or the options' pool), both returned
/// as soon as the reader consumed them.</para>
/// <para>Semantics are a pipe reader's: a read returns everything unconsumed; <see cref="AdvanceTo(SequencePosition, SequencePosition)"/>
/// consumes up to one position and, when everything was examined, makes the next read wait for new bytes;
/// <see cref="CancelPendingRead"/> ends the pending (or next) read with IsCanceled; the writer's completion makes
/// reads report IsCompleted (or throw its error); continuations run on the reader scheduler, which lets a socket
/// thread process a receive inline (<see cref="Sharding.ConnectionScheduler"/>). Backpressure: a receive that leaves
/// the unconsumed bytes at or above the pause threshold stops the receive loop (<see cref="AppendResult.Paused"/>);
/// the read that brings them under the resume threshold resumes it (<see cref="ISocketInputOwner.ResumeReceiving"/>).</para>
/// </remarks>
internal sealed class SocketInput : PipeReader, IValueTaskSource<ReadResult>, IReadCallbackSource
{
    /// <summary>How many free segments the process keeps for reuse (beyond that they are left to the GC).</summary>
    private const int MaxPooledSegments = 4096;

    private static readonly ConcurrentQueue<Segment> s_segments = new();
    private static int s_pooledSegments;

    private readonly ISocketInputOwner _owner;
    private readonly PipeScheduler _scheduler;
    private readonly PipeOptions _options; // shared by the listener's connections: pool, block size, thresholds

    // Everything below is guarded by lock (this): the receive loop appends and completes, the reader reads and advances.
    private Segment? _head;
    private int _headStart; // the first unconsumed byte in _head.Memory
    private Segment? _tail;
    private long _buffered; // unconsumed bytes
    private bool _examinedEverything; // the reader saw every buffered byte without consuming it all: wait for more
    private bool _reading; // a read result is out and not yet advanced
    private bool _readPending; // a read waits (the value task source is in use)
    private bool _readReady; // ...and can complete now
    private bool _cancelNextRead;
    private bool _writerCompleted;
    private Exception? _writerError;
    private bool _readerCompleted;
    private bool _writerPaused;
    private short _token;
    private Action<object?>? _continuation;
    private object? _continuationState;
    private CancellationTokenRegistration _cancellation;
    private CancellationToken _readCancellationToken;
    private bool _canceledByToken;

    /// <param name="owner">The receive loop to resume after a pause.</param>
    /// <param name="options">Pool, block size and thresholds (the pipe options the input used to be built with).</param>
    /// <param name="scheduler">Where read continuations run (null: <paramref name="options"/>' reader scheduler).</param>
    public SocketInput(ISocketInputOwner owner, PipeOptions options, PipeScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(options);
        _owner = owner;
        _scheduler = scheduler ?? options.ReaderScheduler;
        _options = options;
    }

    /// <summary>The options' pool, or null for arrays from <see cref="ArrayPool{T}.Shared"/> (what a pipe does with the shared pool).</summary>
    private MemoryPool<byte>? Pool => ReferenceEquals(_options.Pool, MemoryPool<byte>.Shared) ? null : _options.Pool;

    /// <summary>The options' minimum segment size, no larger than the pool's blocks.</summary>
    private int BlockSize => Math.Max(Pool is { MaxBufferSize: > 0 } pool ? Math.Min(_options.MinimumSegmentSize, pool.MaxBufferSize) : _options.MinimumSegmentSize, 1);

    /// <summary>Unconsumed bytes at which the receive loop pauses (0 in the options: never).</summary>
    private long PauseThreshold => _options.PauseWriterThreshold <= 0 ? long.MaxValue : _options.PauseWriterThreshold;

    /// <summary>Unconsumed bytes under which a paused receive loop resumes.</summary>
    private long ResumeThreshold => Math.Min(_options.ResumeWriterThreshold, PauseThreshold);

    /// <summary>What <see cref="Append"/> tells the receive loop.</summary>
    internal enum AppendResult
    {
        /// <summary>Go on receiving.</summary>
        Continue,

        /// <summary>The reader is behind (pause threshold): stop until <see cref="ISocketInputOwner.ResumeReceiving"/>.</summary>
        Paused,

        /// <summary>The reader completed: nothing more will be read; complete the input.</summary>
        ReaderGone,
    }

    /// <summary>Whether any block is held (false on an idle connection: everything received was consumed).</summary>
    internal bool HoldsBuffer
    {
        get
        {
            lock (this)
            {
                return _head is not null;
            }
        }
    }

    /// <summary>A block to receive into, for the receive loop; give it back with <see cref="Append"/> or <see cref="ReturnSegment"/>.</summary>
    internal Segment RentSegment()
    {
        if (s_segments.TryDequeue(out var segment))
        {
            Interlocked.Decrement(ref s_pooledSegments);
        }
        else
        {
            segment = new Segment();
        }

        segment.Rent(Pool, BlockSize);
        return segment;
    }

    /// <summary>A rented block that received nothing.</summary>
    internal static void ReturnSegment(Segment segment)
    {
        segment.Release();
        if (Interlocked.Increment(ref s_pooledSegments) <= MaxPooledSegments)
        {
            s_segments.Enqueue(segment);
        }
        else
        {
            Interlocked.Decrement(ref s_pooledSegments);
        }
    }

    /// <summary>
    /// Hands the first <paramref name="count"/> bytes of <paramref name="segment"/> to the reader, whose pending read
    /// continues on the reader scheduler (inline when the caller arranged it).
    /// </summary>
    internal AppendResult Append(Segment segment, int count)
    {
        Debug.Assert(count > 0 && count <= segment.Writable.Length);
        Action<object?>? continuation;
        object? state;
        AppendResult result;
        lock (this)
        {
            if (_readerCompleted || _writerCompleted)
            {
                ReturnSegment(segment);
                return AppendResult.ReaderGone;
            }

            segment.Seal(count, _tail is null ? 0 : _tail.RunningIndex + _tail.Memory.Length);
            if (_tail is null)
            {
                _head = segment;
                _headStart = 0;
            }
            else
            {
                _tail.SetNext(segment);
            }

            _tail = segment;
            _buffered += count;
            _examinedEverything = false;
            result = AppendResult.Continue;
            if (_buffered >= PauseThreshold)
            {
                _writerPaused = true;
                result = AppendResult.Paused;
            }

            continuation = TakeContinuationLocked(out state);
        }

        if (continuation is not null)
        {
            _scheduler.Schedule(continuation, state);
        }

        return result;
    }

    /// <summary>The writer's end (the peer's FIN, a reset, or a receive error): reads report IsCompleted or throw <paramref name="error"/>.</summary>
    internal void CompleteWriter(Exception? error)
    {
        Action<object?>? continuation;
        object? state;
        lock (this)
        {
            if (_writerCompleted)
            {
                return;
            }

            _writerCompleted = true;
            _writerError = error;
            _writerPaused = false;
            if (_readerCompleted)
            {
                ReleaseAllLocked();
            }

            continuation = TakeContinuationLocked(out state);
        }

        if (continuation is not null)
        {
            _scheduler.Schedule(continuation, state);
        }
    }

    /// <summary>True (once) when the receive loop is paused by backpressure: the caller then owns ending or resuming it.</summary>
    internal bool TryTakePausedWriter()
    {
        lock (this)
        {
            if (!_writerPaused)
            {
                return false;
            }

            _writerPaused = false;
            return true;
        }
    }

    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        lock (this)
        {
            ThrowIfCannotRead();
            if (TryGetResultLocked(out var result))
            {
                _reading = true;
                return new ValueTask<ReadResult>(result);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<ReadResult>(cancellationToken);
            }

            _readPending = true;
            _readReady = false;
            _canceledByToken = false;
            if (cancellationToken.CanBeCanceled)
            {
                // A callback running meanwhile on another thread waits for this lock; Dispose in GetResult waits for it.
                _readCancellationToken = cancellationToken;
                _cancellation = cancellationToken.UnsafeRegister(static s => ((SocketInput)s!).CancelReadByToken(), this);
            }

            return new ValueTask<ReadResult>(this, _token);
        }
    }

    public override bool TryRead(out ReadResult result)
    {
        lock (this)
        {
            ThrowIfCannotRead();
            if ((_head is not null || _writerCompleted || _cancelNextRead) && TryGetResultLocked(out result, ignoreExamined: true))
            {
                _reading = true;
                return true;
            }
        }

        result = default;
        return false;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        bool resume;
        lock (this)
        {
            if (!_reading)
            {
                throw new InvalidOperationException("AdvanceTo was called without a read result to advance.");
            }

            _reading = false;
            if (_head is not null)
            {
                Consume(consumed);
                _examinedEverything = _tail is not null && examined.GetObject() == _tail && examined.GetInteger() == _tail.Memory.Length;
            }

            resume = _writerPaused && _buffered < ResumeThreshold && !_readerCompleted;
            if (resume)
            {
                _writerPaused = false;
            }
        }

        if (resume)
        {
            _owner.ResumeReceiving();
        }
    }

    public override void CancelPendingRead()
    {
        Action<object?>? continuation;
        object? state;
        lock (this)
        {
            _cancelNextRead = true;
            continuation = TakeContinuationLocked(out state);
        }

        if (continuation is not null)
        {
            _scheduler.Schedule(continuation, state);
        }
    }

    public override void Complete(Exception? exception = null)
    {
        bool resume;
        lock (this)
        {
            if (_readerCompleted)
            {
                return;
            }

            _readerCompleted = true;
            _reading = false;
            ReleaseAllLocked();

            // A receive loop paused for this reader would wait forever: let it run into the completed reader and end.
            resume = _writerPaused && !_writerCompleted;
            _writerPaused = false;
        }

        if (resume)
        {
            _owner.ResumeReceiving();
        }
    }

    // The pending read's token changes only in GetResult, on the reader's side, so the reader may read it unlocked.
    void IReadCallbackSource.OnPendingReadCompleted(Action<object?> continuation, object? state) =>
        ((IValueTaskSource<ReadResult>)this).OnCompleted(continuation, state, _token, ValueTaskSourceOnCompletedFlags.None);

    ReadResult IReadCallbackSource.GetPendingReadResult() => ((IValueTaskSource<ReadResult>)this).GetResult(_token);

    ValueTaskSourceStatus IValueTaskSource<ReadResult>.GetStatus(short token)
    {
        lock (this)
        {
            ThrowIfWrongToken(token);
            if (!_readReady)
            {
                return ValueTaskSourceStatus.Pending;
            }

            return _canceledByToken ? ValueTaskSourceStatus.Canceled
                : _writerError is not null && !_cancelNextRead ? ValueTaskSourceStatus.Faulted
                : ValueTaskSourceStatus.Succeeded;
        }
    }

    void IValueTaskSource<ReadResult>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
    {
        // Execution context and synchronization context are not captured: every reader awaits with
        // ConfigureAwait(false), and an async method's box restores its own context.
        bool runNow;
        lock (this)
        {
            ThrowIfWrongToken(token);
            runNow = _readReady;
            if (!runNow)
            {
                _continuation = continuation;
                _continuationState = state;
            }
        }

        if (runNow)
        {
            _scheduler.Schedule(continuation, state);
        }
    }

    ReadResult IValueTaskSource<ReadResult>.GetResult(short token)
    {
        var cancellation = default(CancellationTokenRegistration);
        try
        {
            lock (this)
            {
                ThrowIfWrongToken(token);
                if (!_readReady)
                {
                    throw new InvalidOperationException("The read has not completed.");
                }

                _readPending = false;
                _readReady = false;
                _token++;
                cancellation = _cancellation;
                _cancellation = default;
                var readCancellationToken = _readCancellationToken;
                _readCancellationToken = default;
                if (_canceledByToken)
                {
                    _canceledByToken = false;
                    throw new OperationCanceledException(readCancellationToken);
                }

                if (!TryGetResultLocked(out var result, ignoreExamined: true))
                {
                    // Only the reader's own Complete can get here (it released everything): nothing more to read.
                    result = new ReadResult(default, isCanceled: false, isCompleted: true);
                }

                _reading = !_readerCompleted;
                return result;
            }
        }
        finally
        {
            // Outside the lock: disposing waits for a callback in progress, which takes the lock.
            cancellation.Dispose();
        }
    }

    /// <summary>The token of the pending read was cancelled: the read ends with OperationCanceledException, as a pipe's does.</summary>
    private void CancelReadByToken()
    {
        Action<object?>? continuation;
        object? state;
        lock (this)
        {
            if (!_readPending || _readReady)
            {
                return;
            }

            _canceledByToken = true;
            continuation = TakeContinuationLocked(out state);
        }

        if (continuation is not null)
        {
            _scheduler.Schedule(continuation, state);
        }
    }

    /// <summary>
    /// The result a read gets now, if it can complete: the writer's completion (its error is thrown), a cancelled
    /// read, or buffered bytes the reader has not examined yet (any buffered bytes with <paramref name="ignoreExamined"/>).
    /// </summary>
    private bool TryGetResultLocked(out ReadResult result, bool ignoreExamined = false)
    {
        var completed = false;
        if (_writerCompleted)
        {
            if (_writerError is { } error && !_cancelNextRead)
            {
                ExceptionDispatchInfo.Throw(error);
            }

            completed = true;
        }

        var canceled = _cancelNextRead;
        if (canceled || completed || (_head is not null && (ignoreExamined || !_examinedEverything)))
        {
            _cancelNextRead = false;
            result = new ReadResult(BufferLocked(), canceled, completed);
            return true;
        }

        result = default;
        return false;
    }

    private ReadOnlySequence<byte> BufferLocked() => _head is null
        ? default
        : new ReadOnlySequence<byte>(_head, _headStart, _tail!, _tail!.Memory.Length);

    /// <summary>Takes the pending read's continuation when one is registered; marks the read ready either way.</summary>
    private Action<object?>? TakeContinuationLocked(out object? state)
    {
        state = null;
        if (!_readPending || _readReady)
        {
            return null;
        }

        _readReady = true;
        var continuation = _continuation;
        state = _continuationState;
        _continuation = null;
        _continuationState = null;
        return continuation;
    }

    /// <summary>Releases the blocks before <paramref name="consumed"/> (a position in the buffer last read).</summary>
    private void Consume(SequencePosition consumed)
    {
        var target = consumed.GetObject() as Segment;
        var index = consumed.GetInteger();
        if (target is null)
        {
            return; // the default position of an empty buffer: nothing consumed
        }

        if (target.RunningIndex + index < _head!.RunningIndex + _headStart || target.RunningIndex + index > _tail!.RunningIndex + _tail.Memory.Length)
        {
            throw new InvalidOperationException("The position is not in the buffer last read, or goes backwards.");
        }

        _buffered -= target.RunningIndex + index - (_head.RunningIndex + _headStart);
        while (_head != target)
        {
            var done = _head!;
            _head = (Segment?)done.Next;
            ReturnSegment(done);
        }

        _headStart = index;
        if (_headStart == _head.Memory.Length)
        {
            // The segment is used up: release it now rather than when the next read moves past it.
            var done = _head;
            _head = (Segment?)done.Next;
            _headStart = 0;
            ReturnSegment(done);
            if (_head is null)
            {
                _tail = null;
            }
        }
    }

    private void ReleaseAllLocked()
    {
        while (_head is not null)
        {
            var done = _head;
            _head = (Segment?)done.Next;
            ReturnSegment(done);
        }

        _tail = null;
        _headStart = 0;
        _buffered = 0;
    }

    private void ThrowIfCannotRead()
    {
        if (_readerCompleted)
        {
            throw new InvalidOperationException("Reading is not allowed after the reader was completed.");
        }

        if (_readPending || _reading)
        {
            throw new InvalidOperationException("A read is already in progress: advance the previous result first.");
        }
    }

    private void ThrowIfWrongToken(short token)
    {
        if (token != _token || !_readPending)
        {
            throw new InvalidOperationException("The read's value task was already consumed.");
        }
    }

    /// <summary>One receive's bytes: a pooled block, read-only once appended.</summary>
    internal sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        private byte[]? _array;
        private IMemoryOwner<byte>? _owner;

        /// <summary>The whole block, to receive into (before <see cref="Seal"/>).</summary>
        public Memory<byte> Writable { get; private set; }

        public void Rent(MemoryPool<byte>? pool, int size)
        {
            if (pool is null)
            {
                _array = ArrayPool<byte>.Shared.Rent(size);
                Writable = _array;
            }
            else
            {
                _owner = pool.Rent(size);
                Writable = _owner.Memory;
            }
        }

        public void Seal(int count, long runningIndex)
        {
            Memory = Writable[..count];
            RunningIndex = runningIndex;
        }

        public void SetNext(Segment next) => Next = next;

        public void Release()
        {
            if (_array is not null)
            {
                ArrayPool<byte>.Shared.Return(_array);
                _array = null;
            }

            _owner?.Dispose();
            _owner = null;
            Writable = default;
            Memory = default;
            Next = null;
            RunningIndex = 0;
        }
    }
}

/// <summary>The receive loop behind a <see cref="SocketInput"/>.</summary>
internal interface ISocketInputOwner
{
    /// <summary>The reader caught up after a pause (or completed): receive again. Called on the reader's thread.</summary>
    void ResumeReceiving();
}
