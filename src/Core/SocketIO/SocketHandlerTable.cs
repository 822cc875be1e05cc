namespace FastIo.SocketIO;

/// <summary>
/// A socket's event handlers by event name: an immutable value, replaced as a whole when a handler is added or removed
/// (copy on write), so dispatch reads it without a lock.
/// </summary>
/// <remarks>
/// <para>Sized for what sockets hold: most register 1–4 events, once, when they connect, and then live idle for hours.
/// Up to <see cref="MaxLinearNames"/> names the table is one <c>object[]</c> of (name, handlers) pairs, found by a
/// linear scan; for three events that is 72 B against ~310 B for a <c>Dictionary&lt;string, Delegate[]&gt;</c>
/// with its buckets, entries and one array per event (bench/RESULTS.md, S1). Larger tables are a dictionary, so that an
/// application registering dozens of events still finds each in constant time.</para>
/// <para>The handlers of one name are a single <see cref="Delegate"/>, or a <see cref="Delegate"/>[] when several were
/// added for it (in the order they were added): one handler per event, the common case, costs no array.</para>
/// </remarks>
internal readonly struct SocketHandlerTable
{
    /// <summary>Above this many event names the table is a dictionary instead of a scanned array.</summary>
    internal const int MaxLinearNames = 8;

    private readonly object? _state; // null (empty), object[] of (string, handlers) pairs, or Dictionary<string, object>

    /// <summary>Wraps the state of a table (<see cref="State"/>), e.g. as read from a socket's field.</summary>
    public SocketHandlerTable(object? state)
    {
        _state = state;
    }

    /// <summary>What a socket stores: null when empty.</summary>
    public object? State => _state;

    /// <summary>The number of event names with handlers.</summary>
    public int Count => _state switch
    {
        null => 0,
        object[] pairs => pairs.Length / 2,
        _ => ((Dictionary<string, object>)_state).Count,
    };

    /// <summary>The handlers of <paramref name="eventName"/> (a <see cref="Delegate"/> or a <see cref="Delegate"/>[]), or null.</summary>
    public object? Find(ReadOnlySpan<char> eventName, out string? registeredName)
    {
        switch (_state)
        {
            case null:
                break;
            case object[] pairs:
                for (var i = 0; i < pairs.Length; i += 2)
                {
                    var name = (string)pairs[i];
                    if (eventName.SequenceEqual(name))
                    {
                        registeredName = name;
                        return pairs[i + 1];
                    }
                }

                break;
            default:
                if (((Dictionary<string, object>)_state).GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(eventName, out var key, out var found))
                {
                    registeredName = key;
                    return found;
                }

                break;
        }

        registeredName = null;
        return null;
    }

    /// <summary>The handlers of <paramref name="eventName"/>, or null.</summary>
    public object? Find(string eventName) => Find(eventName.AsSpan(), out _);

    /// <summary>A table with <paramref name="handler"/> added after the handlers <paramref name="eventName"/> already has.</summary>
    public SocketHandlerTable With(string eventName, Delegate handler)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        ArgumentNullException.ThrowIfNull(handler);
        switch (_state)
        {
            case null:
                return new SocketHandlerTable(new object[] { eventName, handler });
            case object[] pairs:
                for (var i = 0; i < pairs.Length; i += 2)
                {
                    if (string.Equals((string)pairs[i], eventName, StringComparison.Ordinal))
                    {
                        var copy = (object[])pairs.Clone();
                        copy[i + 1] = Append(pairs[i + 1], handler);
                        return new SocketHandlerTable(copy);
                    }
                }

                if (pairs.Length / 2 < MaxLinearNames)
                {
                    var grown = new object[pairs.Length + 2];
                    pairs.CopyTo(grown, 0);
                    grown[pairs.Length] = eventName;
                    grown[pairs.Length + 1] = handler;
                    return new SocketHandlerTable(grown);
                }

                var map = new Dictionary<string, object>(MaxLinearNames + 1, StringComparer.Ordinal);
                for (var i = 0; i < pairs.Length; i += 2)
                {
                    map.Add((string)pairs[i], pairs[i + 1]);
                }

                map.Add(eventName, handler);
                return new SocketHandlerTable(map);
            default:
                var larger = new Dictionary<string, object>((Dictionary<string, object>)_state, StringComparer.Ordinal);
                larger[eventName] = larger.TryGetValue(eventName, out var existing) ? Append(existing, handler) : handler;
                return new SocketHandlerTable(larger);
        }
    }

    /// <summary>A table without the handlers of <paramref name="eventName"/> (this one when it has none).</summary>
    public SocketHandlerTable Without(string eventName)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        switch (_state)
        {
            case object[] pairs:
                for (var i = 0; i < pairs.Length; i += 2)
                {
                    if (string.Equals((string)pairs[i], eventName, StringComparison.Ordinal))
                    {
                        if (pairs.Length == 2)
                        {
                            return default;
                        }

                        var smaller = new object[pairs.Length - 2];
                        Array.Copy(pairs, 0, smaller, 0, i);
                        Array.Copy(pairs, i + 2, smaller, i, pairs.Length - i - 2);
                        return new SocketHandlerTable(smaller);
                    }
                }

                return this;
            case Dictionary<string, object> map when map.ContainsKey(eventName):
                // Stays a dictionary even when it shrinks below the linear size: removals are rare, and a table that
                // crossed the threshold once is likely to again.
                var copy = new Dictionary<string, object>(map, StringComparer.Ordinal);
                copy.Remove(eventName);
                return new SocketHandlerTable(copy);
            default:
                return this;
        }
    }

    private static Delegate[] Append(object existing, Delegate handler) => existing is Delegate[] several
        ? [.. several, handler]
        : [(Delegate)existing, handler];
}
