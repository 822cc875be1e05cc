using System.Buffers;
using System.IO.Pipelines;
using System.Text;

namespace FastIo.Benchmarks;

/// <summary>
/// One in-memory connection to a <see cref="FastIo.Transports.Hosting.FastIoHost"/> (its
/// <c>ProcessConnectionAsync(IDuplexPipe, …)</c>): the client writes raw request bytes and reads raw responses,
/// parsing only what it must (head end, Content-Length, WebSocket frame length) and allocating nothing per exchange,
/// so that a benchmark's allocations are the server's.
/// </summary>
internal sealed class MemoryHttpClient : IDuplexPipe
{
    private readonly Pipe _toServer = new(new PipeOptions(useSynchronizationContext: false));
    private readonly Pipe _toClient = new(new PipeOptions(useSynchronizationContext: false));

    /// <summary>The server's side: what the client wrote, and where the server answers.</summary>
    PipeReader IDuplexPipe.Input => _toServer.Reader;

    PipeWriter IDuplexPipe.Output => _toClient.Writer;

    public IDuplexPipe ServerSide => this;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        _toServer.Writer.Write(bytes);
        _toServer.Writer.FlushAsync().AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Reads one response with a Content-Length body; returns its status and whether the body starts with <paramref name="bodyPrefix"/>.</summary>
    public (int Status, bool PrefixMatches) ReadResponse(ReadOnlySpan<byte> bodyPrefix) => ReadResponse(bodyPrefix, captureBody: false, out _);

    /// <summary>Reads one response and returns its body (allocates: for setups).</summary>
    public string ReadResponseBody()
    {
        ReadResponse(default, captureBody: true, out var body);
        return body!;
    }

    private (int Status, bool PrefixMatches) ReadResponse(ReadOnlySpan<byte> bodyPrefix, bool captureBody, out string? body)
    {
        var reader = _toClient.Reader;
        while (true)
        {
            var result = Read(reader);
            var buffer = result.Buffer;
            if (TryParseResponse(buffer, bodyPrefix, out var consumed, out var status, out var matches, out var bodyBytes))
            {
                body = captureBody ? Encoding.UTF8.GetString(bodyBytes.ToArray()) : null;
                reader.AdvanceTo(consumed);
                return (status, matches);
            }

            if (result.IsCompleted)
            {
                throw new InvalidOperationException("The server closed the connection mid-response.");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Reads a 101 response head (and nothing after it).</summary>
    public void ReadSwitchingProtocols()
    {
        var reader = _toClient.Reader;
        while (true)
        {
            var result = Read(reader);
            var buffer = result.Buffer;
            var headEnd = HeadEnd(buffer);
            if (headEnd is { } end)
            {
                if (!StartsWith(buffer, "HTTP/1.1 101"u8))
                {
                    throw new InvalidOperationException("Expected 101: " + Encoding.ASCII.GetString(buffer.ToArray()));
                }

                reader.AdvanceTo(end);
                return;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Reads one unmasked server frame (payload under 126 bytes); true when its payload starts with <paramref name="prefix"/>.</summary>
    public bool ReadFrame(ReadOnlySpan<byte> prefix)
    {
        var reader = _toClient.Reader;
        Span<byte> header = stackalloc byte[2];
        while (true)
        {
            var result = Read(reader);
            var buffer = result.Buffer;
            if (buffer.Length >= 2)
            {
                buffer.Slice(0, 2).CopyTo(header);
                var length = header[1] & 0x7F;
                if (buffer.Length >= 2 + length)
                {
                    var matches = StartsWith(buffer.Slice(2, length), prefix);
                    reader.AdvanceTo(buffer.GetPosition(2 + length));
                    return matches;
                }
            }

            if (result.IsCompleted)
            {
                throw new InvalidOperationException("The server closed the connection mid-frame.");
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Ends the client's side and waits until the server ended its own, then makes both pipes reusable.</summary>
    public void Close(Task served)
    {
        _toServer.Writer.Complete();
        var reader = _toClient.Reader;
        while (true)
        {
            var result = Read(reader);
            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                break;
            }
        }

        reader.Complete();
        served.GetAwaiter().GetResult();
        _toServer.Reset();
        _toClient.Reset();
    }

    /// <summary>Waits for the server's next bytes by polling: a pending ReadAsync would allocate a task to block on.</summary>
    private static ReadResult Read(PipeReader reader)
    {
        var spin = new SpinWait();
        ReadResult result;
        while (!reader.TryRead(out result))
        {
            spin.SpinOnce();
        }

        return result;
    }

    /// <summary>A client frame: FIN, text, masked with a zero key (so the payload goes as is).</summary>
    public static byte[] MaskedTextFrame(string payload)
    {
        var bytes = Encoding.UTF8.GetBytes(payload);
        var frame = new byte[6 + bytes.Length];
        frame[0] = 0x81;
        frame[1] = (byte)(0x80 | bytes.Length);
        bytes.CopyTo(frame, 6);
        return frame;
    }

    private static bool TryParseResponse(ReadOnlySequence<byte> buffer, ReadOnlySpan<byte> bodyPrefix, out SequencePosition consumed, out int status, out bool matches, out ReadOnlySequence<byte> body)
    {
        consumed = default;
        status = 0;
        matches = false;
        body = default;
        if (HeadEnd(buffer) is not { } headEnd)
        {
            return false;
        }

        var head = buffer.Slice(0, headEnd);
        Span<byte> statusText = stackalloc byte[3];
        head.Slice(9, 3).CopyTo(statusText);
        status = ((statusText[0] - '0') * 100) + ((statusText[1] - '0') * 10) + (statusText[2] - '0');
        var length = ContentLength(head);
        var rest = buffer.Slice(headEnd);
        if (rest.Length < length)
        {
            return false;
        }

        body = rest.Slice(0, length);
        matches = StartsWith(body, bodyPrefix);
        consumed = body.End;
        return true;
    }

    private static SequencePosition? HeadEnd(ReadOnlySequence<byte> buffer)
    {
        var reader = new SequenceReader<byte>(buffer);
        return reader.TryReadTo(out ReadOnlySequence<byte> _, "\r\n\r\n"u8) ? reader.Position : null;
    }

    private static int ContentLength(ReadOnlySequence<byte> head)
    {
        var reader = new SequenceReader<byte>(head);
        if (!reader.TryAdvanceTo((byte)'\n') || !reader.TryReadTo(out ReadOnlySequence<byte> _, "Content-Length: "u8))
        {
            return 0;
        }

        var length = 0;
        while (reader.TryRead(out var b) && b is >= (byte)'0' and <= (byte)'9')
        {
            length = (length * 10) + (b - '0');
        }

        return length;
    }

    private static bool StartsWith(ReadOnlySequence<byte> data, ReadOnlySpan<byte> prefix)
    {
        if (data.Length < prefix.Length)
        {
            return false;
        }

        Span<byte> copy = stackalloc byte[prefix.Length];
        data.Slice(0, prefix.Length).CopyTo(copy);
        return copy.SequenceEqual(prefix);
    }
}
