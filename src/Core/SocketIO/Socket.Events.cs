using System.Text.Json;
using FastIo.SocketIO.Protocol;
using Microsoft.Extensions.Logging;

namespace FastIo.SocketIO;

/// <summary>Incoming events: handlers, catch-all listeners, socket middleware, and the life-cycle events.</summary>
public sealed partial class Socket
{
    private readonly Lock _handlersLock = new();
    private Dictionary<string, Func<SocketMessage, ValueTask>[]> _handlers = new(StringComparer.Ordinal);
    private Action<SocketMessage>[] _anyHandlers = [];
    private Action<string, object?[]>[] _anyOutgoingHandlers = [];
    private Func<SocketMessage, CancellationToken, ValueTask>[] _middlewares = [];

    /// <summary>The socket is about to leave its rooms (its <see cref="Rooms"/> are still readable); the argument is the reason.</summary>
    public event Action<Socket, string>? Disconnecting;

    /// <summary>The socket is disconnected; the argument is one of <see cref="DisconnectReasons"/>.</summary>
    public event Action<Socket, string>? Disconnected;

    /// <summary>A handler or a socket middleware failed.</summary>
    public event Action<Socket, Exception>? Error;

    /// <summary>Handles <paramref name="eventName"/> with access to every argument and the acknowledgement.</summary>
    public Socket On(string eventName, Action<SocketMessage> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddHandler(eventName, message =>
        {
            handler(message);
            return ValueTask.CompletedTask;
        });
    }

    /// <summary>Handles <paramref name="eventName"/> asynchronously; the next event of this socket does not wait for it.</summary>
    public Socket On(string eventName, Func<SocketMessage, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddHandler(eventName, handler);
    }

    /// <summary>Handles <paramref name="eventName"/> with its first argument deserialized as <typeparamref name="T"/>.</summary>
    public Socket On<T>(string eventName, Action<T?> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddHandler(eventName, message =>
        {
            handler(message.Count > 0 ? message.Get<T>(0) : default);
            return ValueTask.CompletedTask;
        });
    }

    /// <summary>
    /// Handles <paramref name="eventName"/> with its first argument as <typeparamref name="T"/>; what the handler
    /// returns acknowledges the event (when the client asked for an acknowledgement).
    /// </summary>
    public Socket On<T, TResult>(string eventName, Func<T?, ValueTask<TResult>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddHandler(eventName, async message =>
        {
            var result = await handler(message.Count > 0 ? message.Get<T>(0) : default).ConfigureAwait(false);
            message.Ack(result);
        });
    }

    /// <summary>Removes every handler of <paramref name="eventName"/>.</summary>
    public Socket Off(string eventName)
    {
        lock (_handlersLock)
        {
            var copy = new Dictionary<string, Func<SocketMessage, ValueTask>[]>(_handlers, StringComparer.Ordinal);
            copy.Remove(eventName);
            _handlers = copy;
        }

        return this;
    }

    /// <summary>Sees every incoming event before its handlers.</summary>
    public Socket OnAny(Action<SocketMessage> handler)
    {
        lock (_handlersLock)
        {
            _anyHandlers = [.. _anyHandlers, handler];
        }

        return this;
    }

    /// <summary>Removes every catch-all listener.</summary>
    public Socket OffAny()
    {
        lock (_handlersLock)
        {
            _anyHandlers = [];
        }

        return this;
    }

    /// <summary>Sees every event this socket emits (name and arguments), before it is sent.</summary>
    public Socket OnAnyOutgoing(Action<string, object?[]> handler)
    {
        lock (_handlersLock)
        {
            _anyOutgoingHandlers = [.. _anyOutgoingHandlers, handler];
        }

        return this;
    }

    /// <summary>
    /// Adds middleware for incoming events, run in order before the handlers; throwing stops the event and raises
    /// <see cref="Error"/> (socket.io's <c>socket.use</c>).
    /// </summary>
    public Socket Use(Func<SocketMessage, CancellationToken, ValueTask> middleware)
    {
        lock (_handlersLock)
        {
            _middlewares = [.. _middlewares, middleware];
        }

        return this;
    }

    /// <summary>Routes a packet of this namespace.</summary>
    internal void OnPacket(SocketPacket packet)
    {
        switch (packet.Type)
        {
            case SocketPacketType.Event or SocketPacketType.BinaryEvent:
                OnEvent(packet);
                break;
            case SocketPacketType.Ack or SocketPacketType.BinaryAck:
                OnAckPacket(packet);
                break;
            case SocketPacketType.Disconnect:
                OnClose(DisconnectReasons.ClientNamespaceDisconnect);
                break;
        }
    }

    private Socket AddHandler(string eventName, Func<SocketMessage, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        lock (_handlersLock)
        {
            // Copy on write: dispatch reads the map without a lock.
            var copy = new Dictionary<string, Func<SocketMessage, ValueTask>[]>(_handlers, StringComparer.Ordinal);
            copy[eventName] = copy.TryGetValue(eventName, out var existing) ? [.. existing, handler] : [handler];
            _handlers = copy;
        }

        return this;
    }

    private void OnEvent(SocketPacket packet)
    {
        var name = ReadEventName(packet.Data.Span);
        var message = new SocketMessage(this, name, packet.AckId, packet.Data, packet.Attachments, Namespace.Server.JsonOptions);
        foreach (var any in _anyHandlers)
        {
            Invoke(any, message);
        }

        var middlewares = _middlewares;
        if (middlewares.Length == 0)
        {
            Dispatch(message);
            return;
        }

        _ = RunMiddlewaresThenDispatchAsync(middlewares, message);
    }

    private async Task RunMiddlewaresThenDispatchAsync(Func<SocketMessage, CancellationToken, ValueTask>[] middlewares, SocketMessage message)
    {
        try
        {
            foreach (var middleware in middlewares)
            {
                await middleware(message, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception e)
        {
            RaiseError(e);
            return;
        }

        Dispatch(message);
    }

    private void Dispatch(SocketMessage message)
    {
        if (!_handlers.TryGetValue(message.EventName, out var handlers))
        {
            return;
        }

        foreach (var handler in handlers)
        {
            try
            {
                var pending = handler(message);
                if (!pending.IsCompletedSuccessfully)
                {
                    _ = ObserveAsync(pending);
                }
            }
            catch (Exception e)
            {
                RaiseError(e);
            }
        }
    }

    private async Task ObserveAsync(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            RaiseError(e);
        }
    }

    private void Invoke(Action<SocketMessage> handler, SocketMessage message)
    {
        try
        {
            handler(message);
        }
        catch (Exception e)
        {
            RaiseError(e);
        }
    }

    private void NotifyOutgoing(string eventName, object?[] args)
    {
        foreach (var handler in _anyOutgoingHandlers)
        {
            try
            {
                handler(eventName, args);
            }
            catch (Exception e)
            {
                RaiseError(e);
            }
        }
    }

    private void RaiseError(Exception e)
    {
        Log.HandlerFailed(Namespace.Server.Logger, e, Id);
        try
        {
            Error?.Invoke(this, e);
        }
        catch (Exception inner)
        {
            Log.HandlerFailed(Namespace.Server.Logger, inner, Id);
        }
    }

    private void RaiseDisconnecting(string reason)
    {
        try
        {
            Disconnecting?.Invoke(this, reason);
        }
        catch (Exception e)
        {
            Log.HandlerFailed(Namespace.Server.Logger, e, Id);
        }
    }

    private void RaiseDisconnected(string reason)
    {
        try
        {
            Disconnected?.Invoke(this, reason);
        }
        catch (Exception e)
        {
            Log.HandlerFailed(Namespace.Server.Logger, e, Id);
        }
    }

    /// <summary>The event name: the first element of the array (the parser already checked it is a string or a number).</summary>
    private static string ReadEventName(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        reader.Read();
        return reader.TokenType == JsonTokenType.String
            ? reader.GetString()!
            : System.Text.Encoding.UTF8.GetString(reader.ValueSpan);
    }

    private static partial class Log
    {
        [LoggerMessage(40, LogLevel.Error, "A handler of socket {Id} threw")]
        public static partial void HandlerFailed(ILogger logger, Exception exception, string id);
    }
}
