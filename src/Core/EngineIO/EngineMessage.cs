using System.Buffers;

namespace FastIo.EngineIO;

/// <summary>
/// An Engine.IO message encoded once for any number of sessions (a broadcast). Immutable; sessions share the
/// bytes instead of copying them, and the WebSocket transport builds the complete frame once, so that every
/// further WebSocket target only enqueues a reference.
/// </summary>
/// <remarks>
/// A message made with the public constructor is an ordinary object: the garbage collector frees it. The server's
/// own broadcasts use <em>pooled</em> text messages instead (<see cref="RentText"/>): one pooled buffer laid out as
/// <c>[room for the longest WebSocket header | '4' | text]</c>, so <see cref="Data"/> is a slice and the WebSocket
/// frame is the header written just before the <c>'4'</c>, with a reference count. Whoever keeps a pooled message
/// beyond a call (a WebSocket send queue entry, a session's write buffer entry, the recovery store) takes its own
/// reference with <see cref="AddRef"/> and gives it back with <see cref="Release"/> exactly once; the last release
/// returns the buffer and the object to their pools. A missed release only costs pooling (the collector frees it);
/// a release too many would let a reused buffer go out as another message, so a count that drops below zero throws.
/// For a public message both calls do nothing.
/// </remarks>
public sealed class EngineMessage
{
    /// <summary>Bytes before the type digit: the longest header of an unmasked server frame (2 + 8 length bytes).</summary>
    internal const int FrameRoom = 10;

    /// <summary>Index of the packet type digit in <see cref="PooledBuffer"/>; the text starts right after it.</summary>
    internal const int TypeIndex = FrameRoom;

    /// <summary>Message objects kept for reuse; a broadcast rarely has more than a few in flight.</summary>
    private const int MaxPooledObjects = 256;

    /// <summary>A buffer larger than this is not pooled by <see cref="ArrayPool{T}.Shared"/> anyway; rent exact.</summary>
    private const int MaxPooledBufferBytes = 1024 * 1024;

    /// <summary>
    /// A pooled message object keeps a buffer up to this size for its next use (at most 256 × 2 KB held): a burst
    /// of broadcasts has as many buffers in flight as messages, more than <see cref="ArrayPool{T}.Shared"/> keeps per
    /// size (measured: bursts of 100 emits to 20 WebSockets allocated ~100 B per emit and socket before).
    /// </summary>
    private const int MaxRetainedBufferBytes = 2048;

    private static readonly Lock s_poolLock = new();
    private static readonly EngineMessage?[] s_pool = new EngineMessage?[MaxPooledObjects];
    private static int s_pooledCount;
    private static long s_rented;
    private static long s_returned;
    private static long s_releaseErrors;

    private readonly bool _pooled;
    private byte[]? _buffer;
    private byte[]? _retained; // a pooled object's small buffer between two uses
    private int _refs;

    /// <summary>Wraps <paramref name="data"/>, which must not change afterwards.</summary>
    public EngineMessage(ReadOnlyMemory<byte> data, bool isBinary)
    {
        Data = data;
        IsBinary = isBinary;
    }

    private EngineMessage() => _pooled = true;

    /// <summary>UTF-8 text or raw bytes.</summary>
    public ReadOnlyMemory<byte> Data { get; private set; }

    /// <summary>Whether the message is binary.</summary>
    public bool IsBinary { get; private set; }

    /// <summary>The complete v4 WebSocket frame of a public message, built lazily by the first WebSocket transport that sends it.</summary>
    internal byte[]? WebSocketFrame;

    /// <summary>
    /// Where the v4 WebSocket frame of a pooled message starts in <see cref="PooledBuffer"/> once a WebSocket
    /// transport wrote its header in front of the type digit; -1 before.
    /// </summary>
    internal int FrameStart = -1;

    /// <summary>The buffer of a pooled text message (<c>[frame room | '4' | text]</c>), null for a public one.</summary>
    internal byte[]? PooledBuffer => _buffer;

    /// <summary>Pool statistics for tests: messages rented, returned, and releases that found the count at zero.</summary>
    internal static (long Rented, long Returned, long ReleaseErrors) Statistics =>
        (Interlocked.Read(ref s_rented), Interlocked.Read(ref s_returned), Interlocked.Read(ref s_releaseErrors));

    /// <summary>
    /// Test mode: a returned buffer is overwritten with <c>'#'</c> and neither it nor the message object is reused,
    /// so a use after the last release shows up as corrupt content and a release too many as a count below zero.
    /// </summary>
    internal static bool PoisonReleased { get; set; }

    /// <summary>
    /// A pooled text message with room for <paramref name="capacity"/> bytes of text, holding one reference (the
    /// caller's). Write the text into <see cref="TextSpace"/>, then fix its length with <see cref="SetTextLength"/>
    /// before sharing it.
    /// </summary>
    internal static EngineMessage RentText(int capacity)
    {
        // An event whose text nears 2 GB cannot have the frame room in front of it in one array: a clear error at
        // the emit rather than the runtime's out-of-memory for an array past its maximum length.
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, Array.MaxLength - FrameRoom - 1);
        EngineMessage? message = null;
        lock (s_poolLock)
        {
            if (s_pooledCount > 0)
            {
                message = s_pool[--s_pooledCount];
                s_pool[s_pooledCount] = null;
            }
        }

        message ??= new EngineMessage();
        int size = FrameRoom + 1 + capacity;
        var retained = message._retained;
        message._retained = null;
        if (retained is not null && retained.Length >= size)
        {
            message._buffer = retained;
        }
        else
        {
            if (retained is not null)
            {
                ArrayPool<byte>.Shared.Return(retained);
            }

            message._buffer = size <= MaxPooledBufferBytes ? ArrayPool<byte>.Shared.Rent(size) : new byte[size];
        }

        message._buffer[TypeIndex] = (byte)('0' + (int)EnginePacketType.Message);
        message.IsBinary = false;
        message.Data = default;
        message.FrameStart = -1;
        Volatile.Write(ref message._refs, 1);
        Interlocked.Increment(ref s_rented);
        return message;
    }

    /// <summary>Where the text of a pooled message goes (after the type digit), up to the end of its buffer.</summary>
    internal Span<byte> TextSpace => _buffer.AsSpan(TypeIndex + 1);

    /// <summary>Sets how much of <see cref="TextSpace"/> the text fills; only while the caller holds the only reference.</summary>
    internal void SetTextLength(int length) => Data = _buffer.AsMemory(TypeIndex + 1, length);

    /// <summary>Takes one more reference to a pooled message (no-op for a public one); the caller holds one already.</summary>
    internal void AddRef()
    {
        if (!_pooled)
        {
            return;
        }

        if (Interlocked.Increment(ref _refs) <= 1)
        {
            // Revived after its last release: whoever added this reference reads a returned buffer.
            Interlocked.Increment(ref s_releaseErrors);
            throw new InvalidOperationException("A pooled Engine.IO message was referenced after its last release.");
        }
    }

    /// <summary>Gives back one reference; the last one returns the buffer and the object to their pools.</summary>
    internal void Release()
    {
        if (!_pooled)
        {
            return;
        }

        int refs = Interlocked.Decrement(ref _refs);
        if (refs > 0)
        {
            return;
        }

        if (refs < 0)
        {
            Interlocked.Increment(ref s_releaseErrors);
            throw new InvalidOperationException("A pooled Engine.IO message was released more often than referenced.");
        }

        var buffer = _buffer!;
        _buffer = null;
        Data = default;
        WebSocketFrame = null;
        Interlocked.Increment(ref s_returned);
        if (PoisonReleased)
        {
            // Kept out of circulation: a late reader sees '#', and a late release finds this object's count below zero.
            buffer.AsSpan().Fill((byte)'#');
            return;
        }

        bool keep = buffer.Length <= MaxRetainedBufferBytes;
        _retained = keep ? buffer : null;
        bool pooled = false;
        lock (s_poolLock)
        {
            if (s_pooledCount < s_pool.Length)
            {
                s_pool[s_pooledCount++] = this;
                pooled = true;
            }
        }

        if (!pooled)
        {
            _retained = null; // not in the pool, so no other thread can have this object yet
        }

        if ((!keep || !pooled) && buffer.Length <= MaxPooledBufferBytes)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
