using System.Buffers;
using System.Text;

namespace FastIo.Transports.Http;

/// <summary>
/// Incremental parser of a request head (RFC 9112 §2-§5). It consumes whole lines as they arrive, so
/// work is linear in the input however it is split, and keeps only its state between calls. One
/// instance per connection; <see cref="Reset"/> before each request.
/// </summary>
/// <remarks>
/// Line endings: every line must end with CRLF. RFC 9112 §2.2 lets a recipient accept a bare LF, but
/// accepting it is a known request-smuggling lever when another hop disagrees, so a bare LF is a 400.
/// A bare CR anywhere is rejected as well (it is a control character in the value checks).
/// </remarks>
internal sealed class HttpRequestParser
{
    private static readonly string[] s_knownHeaderNames =
    [
        "Host", "Connection", "Content-Length", "Content-Type", "Transfer-Encoding", "Upgrade", "User-Agent",
        "Accept", "Accept-Encoding", "Accept-Language", "Cookie", "Origin", "Expect", "Referer", "Cache-Control",
        "Pragma", "Sec-WebSocket-Key", "Sec-WebSocket-Version", "Sec-WebSocket-Extensions", "Sec-WebSocket-Protocol",
        "X-Forwarded-For",
    ];

    private readonly int _maxHeadBytes;
    private long _headBytes;
    private bool _requestLineDone;
    private readonly HttpLineReader _lines = new();

    public HttpRequestParser(int maxHeadBytes)
    {
        _maxHeadBytes = maxHeadBytes;
    }

    /// <summary>Bytes of the current head consumed so far (including line terminators).</summary>
    public long HeadBytes => _headBytes;

    public void Reset()
    {
        _headBytes = 0;
        _requestLineDone = false;
    }

    /// <summary>
    /// Consumes complete lines of the head from <paramref name="reader"/> into <paramref name="request"/>.
    /// Complete: the reader is just after the empty line ending the head. Incomplete: the reader is after
    /// the last complete line; call again with the unconsumed rest plus new bytes. Error: stop.
    /// </summary>
    public HttpParseResult ParseHead(ref SequenceReader<byte> reader, HttpRequest request)
    {
        while (true)
        {
            switch (_lines.TryRead(ref reader, ref _headBytes, _maxHeadBytes, out var line))
            {
                case HttpLineStatus.Incomplete:
                    return HttpParseResult.Incomplete;
                case HttpLineStatus.TooLarge:
                    // RFC 6585 §5: 431.
                    return HttpParseResult.Error(431, "Request head too large");
                case HttpLineStatus.NotCrlf:
                    return HttpParseResult.BadRequest("Line not terminated by CRLF");
            }

            if (!_requestLineDone)
            {
                // RFC 9112 §2.2: a server SHOULD ignore at least one empty line received before the
                // request-line (clients sometimes send an extra CRLF after a POST body).
                if (line.IsEmpty)
                {
                    continue;
                }

                var requestLine = ParseRequestLine(line, request);
                if (requestLine.IsError)
                {
                    return requestLine;
                }

                _requestLineDone = true;
                continue;
            }

            if (line.IsEmpty)
            {
                return HttpParseResult.Complete;
            }

            var field = ParseFieldLine(line, out var name, out var value);
            if (field.IsError)
            {
                return field;
            }

            request.Headers.AddParsed(GetHeaderName(name), value);
        }
    }

    /// <summary>
    /// Validates a field line (RFC 9112 §5) and splits it. Shared by the head and by chunked trailers.
    /// </summary>
    public static HttpParseResult ParseFieldLine(ReadOnlySpan<byte> line, out ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        name = default;
        value = default;

        // RFC 9112 §5.2: obs-fold (a line starting with whitespace) is deprecated; a server MAY reject it with 400.
        if (HttpCharacters.IsWhitespace(line[0]))
        {
            return HttpParseResult.BadRequest("Obsolete line folding");
        }

        var colon = line.IndexOf((byte)':');
        if (colon <= 0)
        {
            return HttpParseResult.BadRequest("Header line without name or colon");
        }

        // RFC 9112 §5.1: no whitespace is allowed between the field name and the colon; a server MUST
        // reject such a line with 400. The token check covers it (SP and HTAB are not tchars).
        name = line[..colon];
        if (!HttpCharacters.IsToken(name))
        {
            return HttpParseResult.BadRequest("Invalid header name");
        }

        value = HttpCharacters.TrimWhitespace(line[(colon + 1)..]);
        return HttpCharacters.IsFieldValue(value)
            ? HttpParseResult.Complete
            : HttpParseResult.BadRequest("Invalid character in header value");
    }

    /// <summary>
    /// After the head is complete: checks Host and message framing (RFC 9112 §6.3) and derives
    /// <see cref="HttpRequest.KeepAlive"/>, <see cref="HttpRequest.ContentLength"/>,
    /// <see cref="HttpRequest.IsChunked"/> and <see cref="HttpRequest.ExpectContinue"/>.
    /// </summary>
    public static HttpParseResult ResolveFraming(HttpRequest request, long maxBodyBytes)
    {
        var headers = request.Headers;

        // RFC 9112 §3.2: a server MUST respond 400 to an HTTP/1.1 request without Host, or with several.
        var hosts = headers.CountOf("Host");
        if (hosts > 1 || (hosts == 0 && request.Version == 11))
        {
            return HttpParseResult.BadRequest("Missing or duplicate Host header");
        }

        var hasContentLength = headers.Contains("Content-Length");
        if (headers.Contains("Transfer-Encoding"))
        {
            // RFC 9112 §6.3 (3): both present is a smuggling attempt or an error; we reject it.
            if (hasContentLength)
            {
                return HttpParseResult.BadRequest("Both Transfer-Encoding and Content-Length");
            }

            // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
            if (request.Version == 10)
            {
                return HttpParseResult.BadRequest("Transfer-Encoding in HTTP/1.0 request");
            }

            var coding = CheckTransferCoding(headers);
            if (coding.IsError)
            {
                return coding;
            }

            request.IsChunked = true;
        }
        else if (hasContentLength)
        {
            var length = ParseContentLength(headers);
            if (length < 0)
            {
                return HttpParseResult.BadRequest("Invalid Content-Length");
            }

            if (length > maxBodyBytes)
            {
                return HttpParseResult.Error(413, "Content-Length over MaxRequestBodyBytes");
            }

            request.ContentLength = length;
        }
        else
        {
            // RFC 9112 §6.3 (7): a request with neither has no body.
            request.ContentLength = 0;
        }

        // RFC 9112 §9.3: "close" always ends the connection; HTTP/1.1 persists by default, HTTP/1.0 only
        // with an explicit keep-alive.
        request.KeepAlive = !headers.ContainsToken("Connection", "close")
            && (request.Version == 11 || headers.ContainsToken("Connection", "keep-alive"));

        // RFC 9110 §10.1.1: never send 100 (Continue) to an HTTP/1.0 client.
        request.ExpectContinue = request.Version == 11 && headers.ContainsToken("Expect", "100-continue");
        return HttpParseResult.Complete;
    }

    private static HttpParseResult CheckTransferCoding(HttpHeaders headers)
    {
        // Only "chunked" is supported. RFC 9112 §6.3 (4): chunked must be the final coding of a request,
        // otherwise 400; another coding we cannot decode is 501 (RFC 9112 §6.1).
        var chunkedSeen = 0;
        var lastIsChunked = false;
        var other = false;
        foreach (var (name, value) in headers)
        {
            if (!string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var rest = value.AsSpan();
            while (true)
            {
                var comma = rest.IndexOf(',');
                var element = (comma < 0 ? rest : rest[..comma]).Trim(" \t");
                if (!element.IsEmpty)
                {
                    lastIsChunked = element.Equals("chunked", StringComparison.OrdinalIgnoreCase);
                    if (lastIsChunked)
                    {
                        chunkedSeen++;
                    }
                    else
                    {
                        other = true;
                    }
                }

                if (comma < 0)
                {
                    break;
                }

                rest = rest[(comma + 1)..];
            }
        }

        if (!lastIsChunked || chunkedSeen > 1)
        {
            return HttpParseResult.BadRequest("Transfer-Encoding does not end with a single chunked");
        }

        return other ? HttpParseResult.Error(501, "Unsupported transfer coding") : HttpParseResult.Complete;
    }

    /// <summary>
    /// Parses every Content-Length field; RFC 9110 §8.6 lets a recipient accept repeated identical
    /// values (also as a comma list), anything else is invalid. Returns -1 when invalid.
    /// </summary>
    private static long ParseContentLength(HttpHeaders headers)
    {
        long result = -1;
        foreach (var (name, value) in headers)
        {
            if (!string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var rest = value.AsSpan();
            while (true)
            {
                var comma = rest.IndexOf(',');
                var element = (comma < 0 ? rest : rest[..comma]).Trim(" \t");
                var parsed = ParseDigits(element);
                if (parsed < 0 || (result >= 0 && parsed != result))
                {
                    return -1;
                }

                result = parsed;
                if (comma < 0)
                {
                    break;
                }

                rest = rest[(comma + 1)..];
            }
        }

        return result;
    }

    private static long ParseDigits(ReadOnlySpan<char> digits)
    {
        // 1*DIGIT only: no sign, no whitespace inside, no overflow (long.TryParse would accept "+5").
        if (digits.IsEmpty || digits.Length > 18)
        {
            return -1;
        }

        long value = 0;
        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
            {
                return -1;
            }

            value = (value * 10) + (c - '0');
        }

        return value;
    }

    private static HttpParseResult ParseRequestLine(ReadOnlySpan<byte> line, HttpRequest request)
    {
        // RFC 9112 §3: request-line = method SP request-target SP HTTP-version, single spaces.
        var sp1 = line.IndexOf((byte)' ');
        if (sp1 <= 0)
        {
            return HttpParseResult.BadRequest("Invalid request line");
        }

        var method = line[..sp1];
        if (!HttpCharacters.IsToken(method))
        {
            return HttpParseResult.BadRequest("Invalid method");
        }

        var rest = line[(sp1 + 1)..];
        var sp2 = rest.IndexOf((byte)' ');
        if (sp2 <= 0)
        {
            return HttpParseResult.BadRequest("Invalid request line");
        }

        var target = rest[..sp2];
        var version = rest[(sp2 + 1)..];
        if (version.SequenceEqual("HTTP/1.1"u8))
        {
            request.Version = 11;
        }
        else if (version.SequenceEqual("HTTP/1.0"u8))
        {
            request.Version = 10;
        }
        else
        {
            // A well-formed version we do not speak gets 505 (RFC 9110 §15.6.6); garbage gets 400.
            return version.Length == 8 && version.StartsWith("HTTP/"u8) && char.IsAsciiDigit((char)version[5])
                && version[6] == (byte)'.' && char.IsAsciiDigit((char)version[7])
                ? HttpParseResult.Error(505, "Unsupported HTTP version")
                : HttpParseResult.BadRequest("Invalid HTTP version");
        }

        if (!HttpCharacters.IsTargetChars(target))
        {
            return HttpParseResult.BadRequest("Invalid character in request target");
        }

        SetMethod(method, request);
        if (request.TryReuseTarget(target))
        {
            return HttpParseResult.Complete;
        }

        var targetText = Encoding.ASCII.GetString(target);
        request.Target = targetText;
        var result = SetPathAndQuery(targetText, request);
        if (result.IsComplete)
        {
            request.RememberTarget();
        }

        return result;
    }

    private static void SetMethod(ReadOnlySpan<byte> method, HttpRequest request)
    {
        (request.Method, request.MethodText) = method switch
        {
            _ when method.SequenceEqual("GET"u8) => (HttpMethod.Get, "GET"),
            _ when method.SequenceEqual("POST"u8) => (HttpMethod.Post, "POST"),
            _ when method.SequenceEqual("HEAD"u8) => (HttpMethod.Head, "HEAD"),
            _ when method.SequenceEqual("OPTIONS"u8) => (HttpMethod.Options, "OPTIONS"),
            _ when method.SequenceEqual("PUT"u8) => (HttpMethod.Put, "PUT"),
            _ when method.SequenceEqual("DELETE"u8) => (HttpMethod.Delete, "DELETE"),
            _ when method.SequenceEqual("PATCH"u8) => (HttpMethod.Patch, "PATCH"),
            _ => (HttpMethod.Other, Encoding.ASCII.GetString(method)),
        };
    }

    private static HttpParseResult SetPathAndQuery(string target, HttpRequest request)
    {
        // RFC 9112 §3.2: origin-form ("/path?query"), absolute-form ("http://host/path?query"),
        // authority-form (CONNECT only) and asterisk-form ("*", OPTIONS only).
        string pathAndQuery;
        if (target[0] == '/')
        {
            pathAndQuery = target;
        }
        else if (target == "*" || request.MethodText == "CONNECT")
        {
            request.Path = target;
            request.QueryString = string.Empty;
            return HttpParseResult.Complete;
        }
        else
        {
            var scheme = target.IndexOf("://", StringComparison.Ordinal);
            if (scheme <= 0)
            {
                return HttpParseResult.BadRequest("Invalid request target form");
            }

            var pathStart = target.IndexOfAny(['/', '?'], scheme + 3);
            pathAndQuery = pathStart < 0 ? "/" : target[pathStart..];
            if (pathAndQuery[0] == '?')
            {
                pathAndQuery = "/" + pathAndQuery;
            }
        }

        var question = pathAndQuery.IndexOf('?');
        if (question < 0)
        {
            request.Path = pathAndQuery;
            request.QueryString = string.Empty;
        }
        else
        {
            request.Path = pathAndQuery[..question];
            request.QueryString = pathAndQuery[(question + 1)..];
        }

        return HttpParseResult.Complete;
    }

    private static string GetHeaderName(ReadOnlySpan<byte> name)
    {
        // Reuse the canonical string for common names instead of allocating one per request.
        foreach (var known in s_knownHeaderNames)
        {
            if (known.Length == name.Length && Ascii.EqualsIgnoreCase(name, known))
            {
                return known;
            }
        }

        return Encoding.ASCII.GetString(name);
    }
}
