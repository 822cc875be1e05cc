using System.Buffers;

namespace FastIo.Transports.Http;

/// <summary>What <see cref="HttpLineReader.TryRead"/> found.</summary>
internal enum HttpLineStatus
{
    /// <summary>A complete line, CRLF removed.</summary>
    Line,

    /// <summary>No LF yet, and the budget is not exhausted.</summary>
    Incomplete,

    /// <summary>The line (or what is buffered of it) exceeds the byte budget.</summary>
    TooLarge,

    /// <summary>A line ended by a bare LF (RFC 9112 §2.2: rejected, as accepting it invites request smuggling).</summary>
    NotCrlf,
}

/// <summary>
/// Reads CRLF-terminated lines (request line, header fields, chunk-size lines, trailers) against a byte budget,
/// handing out a contiguous view: lines that straddle pipe segments are copied into one reused scratch buffer.
/// </summary>
internal sealed class HttpLineReader
{
    private byte[]? _scratch;

    /// <summary>
    /// Reads one line. <paramref name="used"/> is the budget spent so far, updated with the line and its LF;
    /// <paramref name="limit"/> is the whole budget. The view is valid until the next call.
    /// </summary>
    public HttpLineStatus TryRead(ref SequenceReader<byte> reader, ref long used, long limit, out ReadOnlySpan<byte> line)
    {
        line = default;
        if (!reader.TryReadTo(out ReadOnlySequence<byte> sequence, (byte)'\n', advancePastDelimiter: true))
        {
            // Every buffered byte belongs to this unfinished line: if they already reach the budget, so will it.
            return used + reader.Remaining >= limit ? HttpLineStatus.TooLarge : HttpLineStatus.Incomplete;
        }

        used += sequence.Length + 1;
        if (used > limit)
        {
            return HttpLineStatus.TooLarge;
        }

        var span = AsSpan(sequence);
        if (span.IsEmpty || span[^1] != (byte)'\r')
        {
            return HttpLineStatus.NotCrlf;
        }

        line = span[..^1];
        return HttpLineStatus.Line;
    }

    private ReadOnlySpan<byte> AsSpan(ReadOnlySequence<byte> line)
    {
        if (line.IsSingleSegment)
        {
            return line.FirstSpan;
        }

        var length = (int)line.Length;
        if (_scratch is null || _scratch.Length < length)
        {
            _scratch = new byte[Math.Max(length, 256)];
        }

        line.CopyTo(_scratch);
        return _scratch.AsSpan(0, length);
    }
}
