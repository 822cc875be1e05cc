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

    public int Length => _length;

    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    /// <summary>Starts a body of known size (Content-Length) or, with 0, one that grows (chunked).</summary>
    public void Start(int capacity)
    {
        _buffer = capacity == 0 ? [] : new byte[capacity];
        _length = 0;
    }

    public void Append(in ReadOnlySequence<byte> data)
    {
        var needed = _length + (int)data.Length;
        if (needed > _buffer.Length)
        {
            // Geometric growth for chunked bodies; the final array may be larger than the body, which is
            // fine since Body is exposed as a slice.
            var newSize = Math.Max(needed, Math.Max(1024, (int)Math.Min(Array.MaxLength, (long)_buffer.Length * 2)));
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
