using System.Net;
using System.Text.Json;
using FastIo.EngineIO;

namespace FastIo.SocketIO;

/// <summary>What a socket's connection request carried (socket.io's <c>socket.handshake</c>).</summary>
public sealed class SocketHandshake
{
    private readonly EngineRequestInfo _request;
    private Dictionary<string, string>? _query;

    internal SocketHandshake(EngineRequestInfo request, JsonElement auth, DateTimeOffset time)
    {
        _request = request;
        Auth = auth;
        Time = time;
    }

    /// <summary>The auth payload of the CONNECT packet (an empty object when none was sent).</summary>
    public JsonElement Auth { get; }

    /// <summary>When the socket connected.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>Milliseconds since the Unix epoch at <see cref="Time"/> (socket.io's <c>issued</c>).</summary>
    public long Issued => Time.ToUnixTimeMilliseconds();

    /// <summary>The headers of the HTTP request that opened the connection.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => _request.Headers;

    /// <summary>The request URL (path and query) that opened the connection.</summary>
    public string Url => _request.Url;

    /// <summary>The client's address, without the port; IPv4-mapped IPv6 addresses are shown as IPv4.</summary>
    public string Address => _request.RemoteEndPoint switch
    {
        IPEndPoint ip => (ip.Address.IsIPv4MappedToIPv6 ? ip.Address.MapToIPv4() : ip.Address).ToString(),
        { } other => other.ToString() ?? string.Empty,
        null => string.Empty,
    };

    /// <summary>Whether the connection is TLS.</summary>
    public bool Secure => _request.Secure;

    /// <summary>Whether the request came from another origin (it had an <c>Origin</c> header).</summary>
    public bool XDomain => _request.Header("Origin") is not null;

    /// <summary>The query parameters of the opening request.</summary>
    public IReadOnlyDictionary<string, string> Query => _query ??= ParseQuery(_request.QueryString);

    /// <summary>A header's value (case-insensitive), or null.</summary>
    public string? Header(string name) => _request.Header(name);

    private static Dictionary<string, string> ParseQuery(string query)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            var value = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
            result.TryAdd(key, value);
        }

        return result;
    }
}
