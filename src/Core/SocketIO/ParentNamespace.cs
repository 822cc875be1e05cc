using System.Collections.Concurrent;
using System.Text.Json;

namespace FastIo.SocketIO;

/// <summary>
/// A dynamic namespace: it matches namespace names by a predicate (or a regular expression) and creates a child
/// namespace for each new name a client connects to. Middleware and connection handlers registered here apply to
/// every child; <see cref="Emit"/> reaches the sockets of every child.
/// </summary>
public sealed class ParentNamespace
{
    private readonly Func<string, JsonElement, bool> _matches;
    // Copy-on-write: read by every connect of every child without a lock or a copy, replaced on (rare) registration.
    private Func<Socket, CancellationToken, ValueTask>[] _middlewares = [];
    private Action<Socket>[] _connectionHandlers = [];
    private readonly ConcurrentDictionary<string, Namespace> _children = new(StringComparer.Ordinal);

    internal ParentNamespace(Func<string, JsonElement, bool> matches) => _matches = matches;

    /// <summary>The namespaces created so far.</summary>
    public IReadOnlyCollection<Namespace> Children => (IReadOnlyCollection<Namespace>)_children.Values;

    /// <summary>The middleware so far; a snapshot that registration never changes (do not modify it).</summary>
    internal Func<Socket, CancellationToken, ValueTask>[] Middlewares => Volatile.Read(ref _middlewares);

    /// <summary>The connection handlers so far; a snapshot that registration never changes (do not modify it).</summary>
    internal Action<Socket>[] ConnectionHandlers => Volatile.Read(ref _connectionHandlers);

    /// <summary>Adds middleware that runs for sockets of every child, before the child's own.</summary>
    public ParentNamespace Use(Func<Socket, CancellationToken, ValueTask> middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        CopyOnWrite.Append(ref _middlewares, middleware);

        return this;
    }

    /// <summary>Registers a connection handler for every child.</summary>
    public ParentNamespace OnConnection(Action<Socket> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        CopyOnWrite.Append(ref _connectionHandlers, handler);

        return this;
    }

    /// <summary>Emits to every socket of every child namespace.</summary>
    public bool Emit(string eventName, params object?[] args)
    {
        foreach (var child in _children.Values)
        {
            child.Emit(eventName, args);
        }

        return true;
    }

    internal bool Matches(string name, JsonElement auth) => _matches(name, auth);

    internal void AddChild(Namespace child)
    {
        child.Parent = this;
        _children[child.Name] = child;
    }

    internal void RemoveChild(Namespace child) => _children.TryRemove(child.Name, out _);
}
