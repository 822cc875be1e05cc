namespace FastIo.SocketIO;

/// <summary>
/// A client's sockets by namespace name. A client is almost always in one namespace, so that socket is kept in a
/// field and a dictionary exists only while it is in two or more (an idle connection's empty-ish dictionary and its
/// entries were 176 B, bench/RESULTS.md 2026-11-25 "mem"). Not thread-safe: the owner locks.
/// </summary>
internal struct SocketsByNamespace
{
    private Socket? _single;
    private Dictionary<string, Socket>? _many;

    public readonly int Count => _many?.Count ?? (_single is null ? 0 : 1);

    public readonly bool TryGet(string name, out Socket? socket)
    {
        if (_many is not null)
        {
            return _many.TryGetValue(name, out socket);
        }

        socket = _single is { } single && string.Equals(single.Namespace.Name, name, StringComparison.Ordinal) ? single : null;
        return socket is not null;
    }

    /// <summary>The lookup by a name given as characters, without making a string.</summary>
    public readonly bool TryGet(ReadOnlySpan<char> name, out Socket? socket)
    {
        if (_many is not null)
        {
            return _many.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(name, out socket);
        }

        socket = _single is { } single && name.SequenceEqual(single.Namespace.Name) ? single : null;
        return socket is not null;
    }

    /// <summary>Adds <paramref name="socket"/>, replacing the socket of the same namespace if there is one.</summary>
    public void Set(Socket socket)
    {
        var name = socket.Namespace.Name;
        if (_many is not null)
        {
            _many[name] = socket;
        }
        else if (_single is null || string.Equals(_single.Namespace.Name, name, StringComparison.Ordinal))
        {
            _single = socket;
        }
        else
        {
            _many = new Dictionary<string, Socket>(StringComparer.Ordinal) { [_single.Namespace.Name] = _single, [name] = socket };
            _single = null;
        }
    }

    /// <summary>Removes <paramref name="socket"/> if it is the one of its namespace.</summary>
    public void Remove(Socket socket)
    {
        var name = socket.Namespace.Name;
        if (_many is null)
        {
            if (_single == socket)
            {
                _single = null;
            }

            return;
        }

        if (_many.TryGetValue(name, out var current) && current == socket)
        {
            _many.Remove(name);
        }
    }

    public readonly Socket[] ToArray()
    {
        if (_many is null)
        {
            return _single is null ? [] : [_single];
        }

        var sockets = new Socket[_many.Count];
        _many.Values.CopyTo(sockets, 0);
        return sockets;
    }
}
