using System.Buffers;

namespace FastIo.Transports.Http;

/// <summary>
/// Incremental decoder of the chunked transfer coding (RFC 9112 §7.1). Like the head parser it
/// consumes what it can and keeps its state, so chunk data never waits in the pipe and any split of the
/// input works. One instance per connection; <see cref="Reset"/> before each chunked body.
/// </summary>
/// <remarks>
/// Chunk extensions (RFC 9112 §7.1.1) are accepted and ignored, but must be introduced by ';' and be
/// free of control characters; the size line is capped so extensions cannot be used to stream
/// unbounded data. Trailer fields (RFC 9112 §7.1.2) are validated like header lines and discarded,
/// within the head size limit. Lines must end with CRLF, as in the head.
/// </remarks>
internal sealed class ChunkedBodyDecoder
{
    /// <summary>Longest chunk-size line (size plus extensions) we accept.</summary>
    internal const int MaxChunkLineBytes = 4096;

    private State _state;
    private long _chunkRemaining;
    private long _trailerBytes;
    private long _maxBodyBytes;
    private int _maxTrailerBytes;
    private readonly HttpLineReader _lines = new();

    private enum State
    {
        SizeLine,
        Data,
        DataEnd,
        Trailer,
        Done,
    }

    public void Reset(long maxBodyBytes, int maxTrailerBytes)
    {
        _state = State.SizeLine;
        _chunkRemaining = 0;
        _trailerBytes = 0;
        _maxBodyBytes = Math.Min(maxBodyBytes, Array.MaxLength);
        _maxTrailerBytes = maxTrailerBytes;
    }

    /// <summary>
    /// Decodes from <paramref name="reader"/> into <paramref name="body"/>. Complete: the reader is just
    /// after the final CRLF of the message. Incomplete: everything usable was consumed.
    /// </summary>
    public HttpParseResult Decode(ref SequenceReader<byte> reader, RequestBodyBuffer body)
    {
        while (true)
        {
            switch (_state)
            {
                case State.SizeLine:
                {
                    long used = 0;
                    var status = _lines.TryRead(ref reader, ref used, MaxChunkLineBytes + 1, out var sizeLine);
                    if (status == HttpLineStatus.Incomplete)
                    {
                        return HttpParseResult.Incomplete;
                    }

                    if (status == HttpLineStatus.TooLarge)
                    {
                        return HttpParseResult.BadRequest("Chunk size line too long");
                    }

                    if (status == HttpLineStatus.NotCrlf)
                    {
                        return HttpParseResult.BadRequest("Chunk size line not terminated by CRLF");
                    }

                    var result = ParseSizeLine(sizeLine, body.Length);
                    if (result.IsError)
                    {
                        return result;
                    }

                    _state = _chunkRemaining == 0 ? State.Trailer : State.Data;
                    break;
                }

                case State.Data:
                {
                    if (reader.End)
                    {
                        return HttpParseResult.Incomplete;
                    }

                    var take = Math.Min(_chunkRemaining, reader.Remaining);
                    body.Append(reader.UnreadSequence.Slice(0, take));
                    reader.Advance(take);
                    _chunkRemaining -= take;
                    if (_chunkRemaining == 0)
                    {
                        _state = State.DataEnd;
                    }

                    break;
                }

                case State.DataEnd:
                {
                    // chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF: the data must be followed by exactly CRLF.
                    if (!reader.TryPeek(out var cr))
                    {
                        return HttpParseResult.Incomplete;
                    }

                    if (cr != (byte)'\r')
                    {
                        return HttpParseResult.BadRequest("Chunk data not followed by CRLF");
                    }

                    if (!reader.TryPeek(1, out var lf))
                    {
                        return HttpParseResult.Incomplete;
                    }

                    if (lf != (byte)'\n')
                    {
                        return HttpParseResult.BadRequest("Chunk data not followed by CRLF");
                    }

                    reader.Advance(2);
                    _state = State.SizeLine;
                    break;
                }

                case State.Trailer:
                {
                    switch (_lines.TryRead(ref reader, ref _trailerBytes, _maxTrailerBytes, out var line))
                    {
                        case HttpLineStatus.Incomplete:
                            return HttpParseResult.Incomplete;
                        case HttpLineStatus.TooLarge:
                            return HttpParseResult.Error(431, "Trailer section too large");
                        case HttpLineStatus.NotCrlf:
                            return HttpParseResult.BadRequest("Trailer line not terminated by CRLF");
                    }

                    if (line.IsEmpty)
                    {
                        _state = State.Done;
                        return HttpParseResult.Complete;
                    }

                    var field = HttpRequestParser.ParseFieldLine(line, out _, out _);
                    if (field.IsError)
                    {
                        return field;
                    }

                    break;
                }

                default:
                    return HttpParseResult.Complete;
            }
        }
    }

    private HttpParseResult ParseSizeLine(ReadOnlySpan<byte> line, long decodedSoFar)
    {
        long size = 0;
        var i = 0;
        var limit = _maxBodyBytes - decodedSoFar;
        for (; i < line.Length; i++)
        {
            var digit = HexValue(line[i]);
            if (digit < 0)
            {
                break;
            }

            size = (size << 4) | (uint)digit;

            // Checked per digit, so leading zeros are harmless and the value can never overflow.
            if (size > limit)
            {
                return HttpParseResult.Error(413, "Chunked body over MaxRequestBodyBytes");
            }
        }

        if (i == 0)
        {
            return HttpParseResult.BadRequest("Missing chunk size");
        }

        // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] ) (RFC 9112 §7.1.1)
        var extensions = line[i..];
        if (!extensions.IsEmpty)
        {
            var trimmed = extensions.TrimStart(" \t"u8);
            if (trimmed.IsEmpty || trimmed[0] != (byte)';' || !HttpCharacters.IsFieldValue(trimmed))
            {
                return HttpParseResult.BadRequest("Invalid chunk extension");
            }
        }

        _chunkRemaining = size;
        return HttpParseResult.Complete;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
