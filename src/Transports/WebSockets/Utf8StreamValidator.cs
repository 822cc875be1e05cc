using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace FastIo.Transports.WebSockets;

/// <summary>
/// Incremental UTF-8 validation for text messages whose bytes arrive in pieces (fragments, pipe segments).
/// A code point split across pieces is carried (at most 3 bytes) to the next piece. RFC 6455 §8.1 requires
/// failing the connection (1007) on invalid UTF-8 text.
/// </summary>
internal struct Utf8StreamValidator
{
    private const int MaxSequenceLength = 4;

    private uint _pending;      // up to 3 carried bytes, byte k at bits 8k..8k+7
    private int _pendingCount;

    public void Reset()
    {
        _pending = 0;
        _pendingCount = 0;
    }

    /// <summary>Validates the next piece; false as soon as the bytes so far cannot be valid UTF-8.</summary>
    public bool Append(ReadOnlySpan<byte> data)
    {
        if (_pendingCount > 0)
        {
            Span<byte> joined = stackalloc byte[MaxSequenceLength];
            for (int k = 0; k < _pendingCount; k++)
            {
                joined[k] = (byte)(_pending >> (8 * k));
            }

            int take = Math.Min(MaxSequenceLength - _pendingCount, data.Length);
            data[..take].CopyTo(joined[_pendingCount..]);
            OperationStatus status = Rune.DecodeFromUtf8(joined[..(_pendingCount + take)], out _, out int consumed);
            if (status == OperationStatus.NeedMoreData)
            {
                // Only possible when data was shorter than the rest of the sequence: carry it all.
                Carry(joined[..(_pendingCount + take)]);
                return true;
            }

            if (status != OperationStatus.Done)
            {
                return false;
            }

            data = data[(consumed - _pendingCount)..];
            Reset();
        }

        int tail = IncompleteTailLength(data);
        if (!Utf8.IsValid(data[..^tail]))
        {
            return false;
        }

        Carry(data[^tail..]);
        return true;
    }

    /// <summary>Ends the message: valid only if no partial code point is left over. Resets for the next message.</summary>
    public bool Complete()
    {
        bool ok = _pendingCount == 0;
        Reset();
        return ok;
    }

    /// <summary>Validates a whole payload that may span several segments.</summary>
    public static bool IsValid(in ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment)
        {
            return Utf8.IsValid(payload.FirstSpan);
        }

        var validator = default(Utf8StreamValidator);
        foreach (ReadOnlyMemory<byte> segment in payload)
        {
            if (!validator.Append(segment.Span))
            {
                return false;
            }
        }

        return validator.Complete();
    }

    private void Carry(ReadOnlySpan<byte> bytes)
    {
        _pending = 0;
        for (int k = 0; k < bytes.Length; k++)
        {
            _pending |= (uint)bytes[k] << (8 * k);
        }

        _pendingCount = bytes.Length;
    }

    /// <summary>
    /// Length of a trailing lead byte plus continuation bytes that do not yet form a whole sequence;
    /// 0 when the data ends on a sequence boundary (or is invalid, which <see cref="Utf8.IsValid"/> reports).
    /// </summary>
    private static int IncompleteTailLength(ReadOnlySpan<byte> data)
    {
        int limit = Math.Min(MaxSequenceLength - 1, data.Length);
        for (int back = 1; back <= limit; back++)
        {
            byte b = data[^back];
            if ((b & 0xC0) == 0x80)
            {
                continue; // continuation byte: keep looking for the lead
            }

            int needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1;
            return needed > back ? back : 0;
        }

        return 0;
    }
}
