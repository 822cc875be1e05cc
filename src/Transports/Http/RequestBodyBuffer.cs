using System.Buffers;

namespace FastIo.Transports.Http;

/// <summary>
/// Accumulates a decoded request body. Each request gets a fresh array (never pooled) so that the
/// <see cref="HttpRequest.Body"/> handed to the application stays valid for as long as it is referenced,
/// even after the response is written; Engine.IO may keep slices of a binary payload.
/// </summary>
internal sealed class RequestBodyBuffer
{
    private byte[] _buffer = [];
    private int _length;
    private long _maxLength = Array.MaxLength;

    public int Length => _length;

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    /// <summary>Starts a body with an initial capacity; it grows as data arrives, never beyond <paramref name="maxLength"/>.</summary>
    public void Start(int capacity, long maxLength)
    {
        _buffer = capacity == 0 ? [] : new byte[capacity];
        _length = 0;
        _maxLength = Math.Min(maxLength, Array.MaxLength);
    }

    public void Append(in ReadOnlySequence<byte> data)
    {
        var needed = _length + (int)data.Length;
        if (needed > _buffer.Length)
        {
            // Geometric growth for chunked bodies; the final array may be larger than the body, which is
            // fine since Body is exposed as a slice.
            var doubled = Math.Min(_maxLength, (long)_buffer.Length * 2);
            var newSize = (int)Math.Max(needed, Math.Max(Math.Min(1024, _maxLength), doubled));
            Array.Resize(ref _buffer, newSize);
        }

        data.CopyTo(_buffer.AsSpan(_length));
        _length = needed;
    }

    /// <summary>Hands the body over and forgets it, so the next request cannot touch the same array.</summary>
    public ReadOnlyMemory<byte> Detach()
    {
        var memory = Memory;
        _buffer = [];
        _length = 0;
        return memory;
    }
}
