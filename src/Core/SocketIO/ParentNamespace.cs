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
    private readonly List<Func<Socket, CancellationToken, ValueTask>> _middlewares = new();
    private readonly List<Action<Socket>> _connectionHandlers = new();
    private readonly ConcurrentDictionary<string, Namespace> _children = new(StringComparer.Ordinal);

    internal ParentNamespace(Func<string, JsonElement, bool> matches) => _matches = matches;

    /// <summary>The namespaces created so far.</summary>
    public IReadOnlyCollection<Namespace> Children => (IReadOnlyCollection<Namespace>)_children.Values;

    internal Func<Socket, CancellationToken, ValueTask>[] Middlewares
    {
        get
        {
            lock (_middlewares)
            {
                return _middlewares.ToArray();
            }
        }
    }

    internal Action<Socket>[] ConnectionHandlers
    {
        get
        {
            lock (_connectionHandlers)
            {
                return _connectionHandlers.ToArray();
            }
        }
    }

    /// <summary>Adds middleware that runs for sockets of every child, before the child's own.</summary>
    public ParentNamespace Use(Func<Socket, CancellationToken, ValueTask> middleware)
    {
        lock (_middlewares)
        {
            _middlewares.Add(middleware);
        }

        return this;
    }

    /// <summary>Registers a connection handler for every child.</summary>
    public ParentNamespace OnConnection(Action<Socket> handler)
    {
        lock (_connectionHandlers)
        {
            _connectionHandlers.Add(handler);
        }

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
