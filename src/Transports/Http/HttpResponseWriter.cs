using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;

namespace FastIo.Transports.Http;

/// <summary>
/// Serialises response heads straight into the transport's <see cref="PipeWriter"/> memory
/// (GetSpan/Advance); status lines are cached per code, so a typical head is a handful of copies.
/// </summary>
internal static class HttpResponseWriter
{
    private static readonly byte[]?[] s_statusLines = new byte[]?[600];

    /// <summary>
    /// Writes a complete response (no flush). Adds the Date line, Content-Length (except for 1xx, 204
    /// and 304, RFC 9110 §8.6) and the Connection field; skips fields of those names (and
    /// Transfer-Encoding) from the application. For HEAD the Content-Length is the one the body would
    /// have but no body bytes follow (RFC 9110 §9.3.2).
    /// </summary>
    public static void WriteResponse(PipeWriter output, HttpResponse response, bool isHeadRequest, ConnectionHeader connection, ReadOnlySpan<byte> dateLine)
    {
        var code = response.StatusCode;
        var bodyAllowed = code >= 200 && code != 204 && code != 304;
        var writer = new HeadWriter(output);
        writer.Write(GetStatusLine(code));
        writer.Write(dateLine);
        if (bodyAllowed)
        {
            writer.Write("Content-Length: "u8);
            writer.WriteNumber(response.Body.Length);
            writer.Write("\r\n"u8);
        }

        if (connection == ConnectionHeader.Close)
        {
            writer.Write("Connection: close\r\n"u8);
        }
        else if (connection == ConnectionHeader.KeepAlive)
        {
            writer.Write("Connection: keep-alive\r\n"u8);
        }

        foreach (var (name, value) in response.Headers)
        {
            if (IsManagedField(name))
            {
                continue;
            }

            writer.WriteField(name, value);
        }

        writer.Write("\r\n"u8);
        writer.Commit();
        if (bodyAllowed && !isHeadRequest && !response.Body.IsEmpty)
        {
            output.Write(response.Body.Span);
        }
    }

    /// <summary>Writes <c>HTTP/1.1 101 Switching Protocols</c> and the application's fields verbatim (RFC 9110 §15.2.2).</summary>
    public static void WriteSwitchingProtocols(PipeWriter output, HttpHeaders headers)
    {
        var writer = new HeadWriter(output);
        writer.Write(GetStatusLine(101));
        foreach (var (name, value) in headers)
        {
            writer.WriteField(name, value);
        }

        writer.Write("\r\n"u8);
        writer.Commit();
    }

    /// <summary>The interim <c>100 Continue</c> response (RFC 9110 §15.2.1).</summary>
    public static void WriteContinue(PipeWriter output) => output.Write("HTTP/1.1 100 Continue\r\n\r\n"u8);

    internal static ReadOnlySpan<byte> GetStatusLine(int code)
    {
        if (code < 100 || code > 999)
        {
            throw new InvalidOperationException($"Invalid HTTP status code {code}.");
        }

        if (code < s_statusLines.Length)
        {
            // Benign race: two threads may build the same immutable line; either copy is fine.
            return s_statusLines[code] ??= BuildStatusLine(code);
        }

        return BuildStatusLine(code);
    }

    private static byte[] BuildStatusLine(int code) =>
        Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"HTTP/1.1 {code} {GetReasonPhrase(code)}\r\n"));

    private static bool IsManagedField(string name) =>
        name.Length switch
        {
            4 => string.Equals(name, "Date", StringComparison.OrdinalIgnoreCase),
            10 => string.Equals(name, "Connection", StringComparison.OrdinalIgnoreCase),
            14 => string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase),
            17 => string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase),
            _ => false,
        };

    /// <summary>Reason phrases of RFC 9110 §15 (the phrase is informational; unknown codes get an empty one).</summary>
    internal static string GetReasonPhrase(int code) => code switch
    {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => string.Empty,
    };

    /// <summary>Copies into the writer's current span, fetching a new one only when it is full.</summary>
    private ref struct HeadWriter
    {
        private readonly PipeWriter _output;
        private Span<byte> _span;
        private int _buffered;

        public HeadWriter(PipeWriter output)
        {
            _output = output;
            _span = output.GetSpan(512);
            _buffered = 0;
        }

        public void Write(scoped ReadOnlySpan<byte> source)
        {
            if (source.Length <= _span.Length - _buffered)
            {
                source.CopyTo(_span[_buffered..]);
                _buffered += source.Length;
                return;
            }

            Ensure(source.Length);
            source.CopyTo(_span);
            _buffered = source.Length;
        }

        public void WriteField(string name, string value)
        {
            WriteLatin1(name);
            Write(": "u8);
            WriteLatin1(value);
            Write("\r\n"u8);
        }

        public void WriteNumber(long value)
        {
            if (!value.TryFormat(_span[_buffered..], out var written, default, CultureInfo.InvariantCulture))
            {
                Ensure(20);
                value.TryFormat(_span, out written, default, CultureInfo.InvariantCulture);
            }

            _buffered += written;
        }

        public void Commit()
        {
            _output.Advance(_buffered);
            _buffered = 0;
            _span = default;
        }

        private void WriteLatin1(string text)
        {
            // Field names and values were validated as token / field-value chars; Latin-1 maps obs-text
            // back to the bytes it came from and replaces anything wider with '?'.
            if (text.Length > _span.Length - _buffered)
            {
                Ensure(text.Length);
            }

            _buffered += Encoding.Latin1.GetBytes(text, _span[_buffered..]);
        }

        /// <summary>Commits what was written and gets a span of at least <paramref name="size"/> bytes.</summary>
        private void Ensure(int size)
        {
            _output.Advance(_buffered);
            _buffered = 0;
            _span = _output.GetSpan(size);
        }
    }
}
