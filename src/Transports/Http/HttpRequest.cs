using System.Buffers;
using System.Net;
using System.Text;

namespace FastIo.Transports.Http;

/// <summary>
/// The request being handled on a connection. One instance per connection, reset between requests:
/// do not keep a reference to it (or to its <see cref="Headers"/>) after
/// <see cref="IHttpApplication.HandleAsync"/> has completed. <see cref="Body"/> is the exception: it is
/// backed by a fresh array per request and stays valid for as long as the application holds it.
/// </summary>
internal sealed class HttpRequest
{
    public HttpMethod Method { get; internal set; }

    /// <summary>The method as sent (methods are case-sensitive, RFC 9110 §9.1).</summary>
    public string MethodText { get; internal set; } = string.Empty;

    /// <summary>The raw request-target (RFC 9112 §3.2), e.g. <c>/socket.io/?EIO=4&amp;transport=polling</c>.</summary>
    public string Target { get; internal set; } = string.Empty;

    /// <summary>Path part of the target, before '?', not percent-decoded. For an absolute-form target the scheme and authority are stripped.</summary>
    public string Path { get; internal set; } = string.Empty;

    /// <summary>Query part of the target after '?' (without it), not decoded; empty when there is none.</summary>
    public string QueryString { get; internal set; } = string.Empty;

    /// <summary>10 for HTTP/1.0, 11 for HTTP/1.1.</summary>
    public int Version { get; internal set; }

    public HttpHeaders Headers { get; } = new();

    /// <summary>The whole decoded body; empty when there is none. A fresh array per request, never reused by the connection.</summary>
    public ReadOnlyMemory<byte> Body { get; internal set; }

    /// <summary>Whether the connection persists after this request (RFC 9112 §9.3).</summary>
    public bool KeepAlive { get; internal set; }

    public EndPoint? RemoteEndPoint { get; internal set; }

    /// <summary>Declared Content-Length; -1 when absent (the body is then chunked or empty).</summary>
    internal long ContentLength { get; set; } = -1;

    /// <summary>The body uses the chunked transfer coding (RFC 9112 §7.1).</summary>
    internal bool IsChunked { get; set; }

    /// <summary>The client sent <c>Expect: 100-continue</c> (RFC 9110 §10.1.1) on HTTP/1.1.</summary>
    internal bool ExpectContinue { get; set; }

    /// <summary>
    /// First value of the query parameter <paramref name="name"/>, with '+' turned into a space and
    /// %XX sequences percent-decoded as UTF-8 (application/x-www-form-urlencoded rules); malformed %
    /// sequences are kept literally. A parameter without '=' has the value "". Null when absent.
    /// </summary>
    public string? GetQuery(string name)
    {
        ArgumentNullException.ThrowIfNull(name);

        // The parameters a request is asked for (sid, EIO, transport) are asked for again on the next request of a
        // reused target (see TryReuseTarget): decoded once per target, not per request.
        if (ReferenceEquals(QueryString, _lastQueryString))
        {
            if (_query0.Matches(name))
            {
                return _query0.Value;
            }

            if (_query1.Matches(name))
            {
                return _query1.Value;
            }

            if (_query2.Matches(name))
            {
                return _query2.Value;
            }

            var value = FindQuery(name);
            if (_query0.Name is null)
            {
                _query0 = new QueryCacheEntry(name, value);
            }
            else if (_query1.Name is null)
            {
                _query1 = new QueryCacheEntry(name, value);
            }
            else if (_query2.Name is null)
            {
                _query2 = new QueryCacheEntry(name, value);
            }

            return value;
        }

        return FindQuery(name);
    }

    private string? FindQuery(string name)
    {
        var rest = QueryString.AsSpan();
        while (!rest.IsEmpty)
        {
            var amp = rest.IndexOf('&');
            var pair = amp < 0 ? rest : rest[..amp];
            rest = amp < 0 ? default : rest[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            var eq = pair.IndexOf('=');
            var rawName = eq < 0 ? pair : pair[..eq];
            if (NameMatches(rawName, name))
            {
                return eq < 0 ? string.Empty : Decode(pair[(eq + 1)..]);
            }
        }

        return null;
    }

    /// <summary>
    /// A keep-alive connection often sends the same target again (a long-polling client without a cache-busting
    /// parameter: every GET and POST of its session): the previous request's target, path and query strings, and the
    /// query values decoded from them, are reused when the bytes are the same.
    /// </summary>
    private string _lastTarget = string.Empty;
    private string _lastPath = string.Empty;
    private string _lastQueryString = string.Empty;
    private QueryCacheEntry _query0;
    private QueryCacheEntry _query1;
    private QueryCacheEntry _query2;

    /// <summary>Sets the target, path and query of the previous request when <paramref name="target"/> is the same; false otherwise.</summary>
    internal bool TryReuseTarget(ReadOnlySpan<byte> target)
    {
        if (target.Length != _lastTarget.Length || _lastTarget.Length == 0 || !Ascii.Equals(target, _lastTarget))
        {
            _query0 = _query1 = _query2 = default;
            return false;
        }

        Target = _lastTarget;
        Path = _lastPath;
        QueryString = _lastQueryString;
        return true;
    }

    /// <summary>Keeps the target just parsed for <see cref="TryReuseTarget"/>.</summary>
    internal void RememberTarget()
    {
        _lastTarget = Target;
        _lastPath = Path;
        _lastQueryString = QueryString;
    }

    internal void Reset(EndPoint? remoteEndPoint)
    {
        Method = HttpMethod.Other;
        MethodText = string.Empty;
        Target = string.Empty;
        Path = string.Empty;
        QueryString = string.Empty;
        Version = 0;
        Headers.ClearForReuse();
        Body = default;
        KeepAlive = false;
        RemoteEndPoint = remoteEndPoint;
        ContentLength = -1;
        IsChunked = false;
        ExpectContinue = false;
    }

    private static bool NameMatches(ReadOnlySpan<char> rawName, string name)
    {
        // Fast path: parameter names are nearly always plain ASCII (EIO, transport, sid, t).
        if (rawName.IndexOfAny('%', '+') < 0)
        {
            return rawName.SequenceEqual(name);
        }

        return string.Equals(Decode(rawName), name, StringComparison.Ordinal);
    }

    /// <summary>Decodes '+' and %XX (as UTF-8 bytes). The target was validated as visible ASCII, so every other char is one byte.</summary>
    internal static string Decode(ReadOnlySpan<char> value)
    {
        if (value.IndexOfAny('%', '+') < 0)
        {
            return KnownValue(value) ?? new string(value);
        }

        byte[]? rented = null;
        var bytes = value.Length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(value.Length));
        var n = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '+')
            {
                bytes[n++] = (byte)' ';
            }
            else if (c == '%' && i + 2 < value.Length && IsHex(value[i + 1]) && IsHex(value[i + 2]))
            {
                bytes[n++] = (byte)((HexValue(value[i + 1]) << 4) | HexValue(value[i + 2]));
                i += 2;
            }
            else
            {
                bytes[n++] = (byte)c;
            }
        }

        var result = Encoding.UTF8.GetString(bytes[..n]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }

        return result;
    }

    /// <summary>The Engine.IO parameter values every request carries, as literals instead of a new string each time.</summary>
    private static string? KnownValue(ReadOnlySpan<char> value) => value switch
    {
        "4" => "4",
        "3" => "3",
        "polling" => "polling",
        "websocket" => "websocket",
        _ => null,
    };

    private static bool IsHex(char c) => char.IsAsciiHexDigit(c);

    /// <summary>A decoded query parameter of the remembered target (names are the callers' own strings).</summary>
    private readonly record struct QueryCacheEntry(string? Name, string? Value)
    {
        public bool Matches(string name) => Name is not null && (ReferenceEquals(Name, name) || Name == name);
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}
