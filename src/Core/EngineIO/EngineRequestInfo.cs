using System.Net;
using System.Text;

namespace FastIo.EngineIO;

/// <summary>
/// A snapshot of the HTTP request that opened (or is opening) a session: what the
/// <see cref="EngineOptions.AllowRequest"/> hook and the Socket.IO handshake see.
/// </summary>
/// <remarks>
/// A session keeps this for its whole life (socket.io's <c>handshake</c>), and most applications never look at it
/// again: the host hands it in packed (<see cref="FromPacked"/>), the URL and the fields as one Latin-1 byte array,
/// and the strings are made on first use. That is one array per idle connection instead of a string per field, the
/// URL, the query string and an array of pairs (~300 B less per idle WebSocket connection).
/// </remarks>
public sealed class EngineRequestInfo
{
    /// <summary>Ends the URL, each field name and each field value in the packed form: none of them can contain it.</summary>
    private const byte Separator = (byte)'\n';

    private readonly byte[]? _packed;
    private readonly PackedEndPoint _remote;
    private string? _url;
    private string? _queryString;
    private KeyValuePair<string, string>[]? _headers;

    /// <summary>Creates the snapshot.</summary>
    public EngineRequestInfo(
        string method,
        string url,
        KeyValuePair<string, string>[] headers,
        EndPoint? remoteEndPoint,
        bool secure)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(headers);
        Method = method;
        _url = url;
        _headers = headers;
        _remote = new PackedEndPoint(remoteEndPoint);
        Secure = secure;
    }

    private EngineRequestInfo(string method, byte[] packed, EndPoint? remoteEndPoint, bool secure)
    {
        Method = method;
        _packed = packed;
        _remote = new PackedEndPoint(remoteEndPoint);
        Secure = secure;
    }

    /// <summary>The HTTP method.</summary>
    public string Method { get; }

    /// <summary>The request target (path and query) as sent.</summary>
    public string Url => _url ??= Encoding.Latin1.GetString(_packed.AsSpan(0, _packed.AsSpan().IndexOf(Separator)));

    /// <summary>The raw query string, without <c>?</c>.</summary>
    public string QueryString
    {
        get
        {
            if (_queryString is null)
            {
                var url = Url;
                var q = url.IndexOf('?', StringComparison.Ordinal);
                _queryString = q < 0 ? string.Empty : url[(q + 1)..];
            }

            return _queryString;
        }
    }

    /// <summary>The peer's address (an IP endpoint is made anew on each call: the session keeps only its bytes).</summary>
    public EndPoint? RemoteEndPoint => _remote.ToEndPoint();

    /// <summary>Whether the connection is TLS.</summary>
    public bool Secure { get; }

    /// <summary>The request headers in arrival order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers => HeaderArray;

    private KeyValuePair<string, string>[] HeaderArray => _headers ??= Unpack(_packed!);

    /// <summary>The first value of a header (case-insensitive), or null.</summary>
    public string? Header(string name)
    {
        foreach (var header in HeaderArray)
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

    /// <summary>
    /// The snapshot of a request whose URL and fields <paramref name="write"/> packs into one array: it is called once
    /// to measure (a null span) and once to fill, and calls <see cref="Packer.Add"/> with the URL first, then each
    /// field's name and value. Names must be HTTP tokens and values must not contain line feeds (the parser's own
    /// checks), and every char must be Latin-1, as the parser's strings are.
    /// </summary>
    internal static EngineRequestInfo FromPacked<TState>(string method, TState state, PackWriter<TState> write, EndPoint? remoteEndPoint, bool secure)
    {
        var measure = new Packer(null);
        write(ref measure, state);
        var packed = new byte[measure.Length];
        var fill = new Packer(packed);
        write(ref fill, state);
        return new EngineRequestInfo(method, packed, remoteEndPoint, secure);
    }

    private static KeyValuePair<string, string>[] Unpack(byte[] packed)
    {
        var rest = packed.AsSpan(packed.AsSpan().IndexOf(Separator) + 1);
        var count = rest.Count(Separator) / 2;
        var headers = new KeyValuePair<string, string>[count];
        for (var i = 0; i < count; i++)
        {
            var end = rest.IndexOf(Separator);
            var name = Encoding.Latin1.GetString(rest[..end]);
            rest = rest[(end + 1)..];
            end = rest.IndexOf(Separator);
            var value = end == 0 ? string.Empty : Encoding.Latin1.GetString(rest[..end]);
            rest = rest[(end + 1)..];
            headers[i] = new KeyValuePair<string, string>(name, value);
        }

        return headers;
    }

    /// <summary>Writes the URL and the fields of a request through <paramref name="packer"/> (see <see cref="FromPacked"/>).</summary>
    internal delegate void PackWriter<TState>(ref Packer packer, TState state);

    /// <summary>Measures, then fills, the packed form.</summary>
    internal ref struct Packer
    {
        private readonly Span<byte> _target;

        internal Packer(byte[]? target)
        {
            _target = target;
            Length = 0;
        }

        /// <summary>The bytes added so far.</summary>
        public int Length { get; private set; }

        /// <summary>Appends <paramref name="text"/> (Latin-1) and a separator.</summary>
        public void Add(string text)
        {
            if (!_target.IsEmpty)
            {
                Encoding.Latin1.GetBytes(text, _target[Length..]);
                _target[Length + text.Length] = Separator;
            }

            Length += text.Length + 1;
        }
    }
}
