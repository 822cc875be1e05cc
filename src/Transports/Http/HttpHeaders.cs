using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace FastIo.Transports.Http;

/// <summary>
/// An ordered list of header fields (name, value), used for both requests and responses. Lookups are
/// linear and case-insensitive on the name: a request carries a dozen fields, so a list beats a
/// dictionary and keeps duplicates and order (RFC 9110 §5.3). Not thread-safe.
/// </summary>
internal sealed class HttpHeaders : IReadOnlyList<(string Name, string Value)>
{
    private (string Name, string Value)[] _items = new (string, string)[8];
    private int _count;

    public int Count => _count;

    public (string Name, string Value) this[int index]
    {
        get
        {
            if ((uint)index >= (uint)_count)
            {
                ThrowIndexOutOfRange();
            }

            return _items[index];
        }
    }

    /// <summary>Value of the first field named <paramref name="name"/> (case-insensitive), or null.</summary>
    public string? Get(string name)
    {
        for (var i = 0; i < _count; i++)
        {
            if (string.Equals(_items[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return _items[i].Value;
            }
        }

        return null;
    }

    public bool Contains(string name) => IndexOf(name, 0) >= 0;

    /// <summary>Number of fields named <paramref name="name"/>; used to detect duplicated Host / Content-Length.</summary>
    public int CountOf(string name)
    {
        var n = 0;
        for (var i = 0; i < _count; i++)
        {
            if (string.Equals(_items[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                n++;
            }
        }

        return n;
    }

    /// <summary>
    /// True when any field named <paramref name="name"/> holds <paramref name="token"/> as a member of
    /// its comma-separated list (RFC 9110 §5.6.1), compared case-insensitively with surrounding
    /// whitespace ignored; e.g. <c>Connection: keep-alive, Upgrade</c> contains <c>upgrade</c>.
    /// </summary>
    public bool ContainsToken(string name, string token)
    {
        for (var i = 0; i < _count; i++)
        {
            if (!string.Equals(_items[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var rest = _items[i].Value.AsSpan();
            while (true)
            {
                var comma = rest.IndexOf(',');
                var element = (comma < 0 ? rest : rest[..comma]).Trim(" \t");
                if (element.Equals(token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }

                if (comma < 0)
                {
                    break;
                }

                rest = rest[(comma + 1)..];
            }
        }

        return false;
    }

    /// <summary>Appends a field. Throws <see cref="ArgumentException"/> for a name that is not a token or a value with control characters (response splitting).</summary>
    public void Add(string name, string value)
    {
        Validate(name, value);
        AddUnchecked(name, value);
    }

    /// <summary>Replaces the first field named <paramref name="name"/> in place (removing the others), or appends it.</summary>
    public void Set(string name, string value)
    {
        Validate(name, value);
        var first = IndexOf(name, 0);
        if (first < 0)
        {
            AddUnchecked(name, value);
            return;
        }

        _items[first] = (name, value);
        RemoveFrom(name, first + 1);
    }

    public void Remove(string name) => RemoveFrom(name, 0);

    public void Clear()
    {
        Array.Clear(_items, 0, _count);
        _count = 0;
    }

    /// <summary>
    /// Empties the list for the next request on the same connection but keeps the previous fields' strings, so that
    /// <see cref="AddParsed"/> can reuse a value that repeats (Host, User-Agent, Accept… on every keep-alive request).
    /// </summary>
    public void ClearForReuse() => _count = 0;

    /// <summary>Clears and drops the storage too: a connection that upgraded keeps no header array alive.</summary>
    public void Release()
    {
        _items = [];
        _count = 0;
    }

    public Enumerator GetEnumerator() => new(this);

    IEnumerator<(string Name, string Value)> IEnumerable<(string Name, string Value)>.GetEnumerator()
    {
        for (var i = 0; i < _count; i++)
        {
            yield return _items[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<(string Name, string Value)>)this).GetEnumerator();

    /// <summary>Used by the parser, whose input is already validated byte by byte.</summary>
    /// <summary>
    /// Appends a parsed field, reusing the value string of the previous request's field at the same position when its
    /// name (a canonical known name) and bytes are the same — no allocation for headers that repeat.
    /// </summary>
    internal void AddParsed(string name, ReadOnlySpan<byte> value)
    {
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, Math.Max(8, _items.Length * 2));
        }

        ref var slot = ref _items[_count++];
        if (slot.Value is { } previous && ReferenceEquals(slot.Name, name) && System.Text.Ascii.Equals(value, previous))
        {
            return;
        }

        slot = (name, value.IsEmpty ? string.Empty : System.Text.Encoding.Latin1.GetString(value));
    }

    internal void AddUnchecked(string name, string value)
    {
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, Math.Max(8, _items.Length * 2));
        }

        _items[_count++] = (name, value);
    }

    private int IndexOf(string name, int start)
    {
        for (var i = start; i < _count; i++)
        {
            if (string.Equals(_items[i].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }

    private void RemoveFrom(string name, int start)
    {
        var write = start;
        for (var read = start; read < _count; read++)
        {
            if (!string.Equals(_items[read].Name, name, StringComparison.OrdinalIgnoreCase))
            {
                _items[write++] = _items[read];
            }
        }

        Array.Clear(_items, write, _count - write);
        _count = write;
    }

    private static void Validate(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!HttpCharacters.IsToken(name.AsSpan()))
        {
            ThrowInvalid(nameof(name), "Header name must be a non-empty token (RFC 9110 §5.1).");
        }

        if (!HttpCharacters.IsFieldValue(value.AsSpan()))
        {
            ThrowInvalid(nameof(value), "Header value must not contain control characters such as CR or LF (RFC 9110 §5.5).");
        }
    }

    [DoesNotReturn]
    private static void ThrowInvalid(string paramName, string message) => throw new ArgumentException(message, paramName);

    [DoesNotReturn]
    private static void ThrowIndexOutOfRange() => throw new ArgumentOutOfRangeException("index");

    /// <summary>Allocation-free enumerator for <c>foreach</c>.</summary>
    internal struct Enumerator
    {
        private readonly HttpHeaders _headers;
        private int _index;

        public Enumerator(HttpHeaders headers)
        {
            _headers = headers;
            _index = -1;
        }

        public readonly (string Name, string Value) Current => _headers._items[_index];

        public bool MoveNext() => ++_index < _headers._count;
    }
}
