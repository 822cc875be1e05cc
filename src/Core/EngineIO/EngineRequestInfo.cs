using System.Net;

namespace FastIo.EngineIO;

/// <summary>
/// A snapshot of the HTTP request that opened (or is opening) a session: what the
/// <see cref="EngineOptions.AllowRequest"/> hook and the Socket.IO handshake see.
/// </summary>
public sealed class EngineRequestInfo
{
    private readonly KeyValuePair<string, string>[] _headers;

    /// <summary>Creates the snapshot.</summary>
    public EngineRequestInfo(
        string method,
        string url,
        KeyValuePair<string, string>[] headers,
        EndPoint? remoteEndPoint,
        bool secure)
    {
        Method = method;
        Url = url;
        _headers = headers;
        RemoteEndPoint = remoteEndPoint;
        Secure = secure;
        var q = url.IndexOf('?', StringComparison.Ordinal);
        QueryString = q < 0 ? string.Empty : url[(q + 1)..];
    }

    /// <summary>The HTTP method.</summary>
    public string Method { get; }

    /// <summary>The request target (path and query) as sent.</summary>
    public string Url { get; }

    /// <summary>The raw query string, without <c>?</c>.</summary>
    public string QueryString { get; }

    /// <summary>The peer's address.</summary>
    public EndPoint? RemoteEndPoint { get; }

    /// <summary>Whether the connection is TLS.</summary>
    public bool Secure { get; }

    /// <summary>The request headers in arrival order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => _headers;

    /// <summary>The first value of a header (case-insensitive), or null.</summary>
    public string? Header(string name)
    {
        foreach (var header in _headers)
        {
            if (string.Equals(header.Key, name, StringComparison.OrdinalIgnoreCase))
            {
                return header.Value;
            }
        }

        return null;
    }

    /// <summary>The first decoded value of a query parameter, or null.</summary>
    public string? Query(string name) => QueryStringParser.Get(QueryString, name);
}
