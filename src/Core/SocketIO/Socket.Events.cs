using System.Text.Json;
using FastIo.SocketIO.Protocol;
using Microsoft.Extensions.Logging;

namespace FastIo.SocketIO;

/// <summary>Incoming events: handlers, catch-all listeners, socket middleware, and the life-cycle events.</summary>
public sealed partial class Socket
{
    // The state of a SocketHandlerTable, replaced as a whole (compare-and-swap, no lock object per socket): dispatch
    // reads it without a lock. Each handler is a SocketEventHandler (reads the event in place), an
    // Action<SocketMessage> or a Func<SocketMessage, ValueTask> (both get a copy).
    private object? _handlers;
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
        return AddHandler(eventName, handler); // stored as it is: no wrapper delegate and closure per socket
    }

    /// <summary>Handles <paramref name="eventName"/> asynchronously; the next event of this socket does not wait for it.</summary>
    public Socket On(string eventName, Func<SocketMessage, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddHandler(eventName, handler);
    }

    /// <summary>
    /// Handles <paramref name="eventName"/> synchronously, reading the event in place: nothing is allocated per event
    /// unless the handler asks for it (see <see cref="SocketEvent"/> for what may be kept, and
    /// <see cref="SocketEvent.ToMessage"/> to keep it).
    /// </summary>
    public Socket On(string eventName, SocketEventHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddHandler(eventName, handler);
    }

    /// <summary>Handles <paramref name="eventName"/> with its first argument deserialized as <typeparamref name="T"/>.</summary>
    public Socket On<T>(string eventName, Action<T?> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddHandler(eventName, (SocketEventHandler)((in SocketEvent e) => handler(e.Count > 0 ? e.Get<T>(0) : default)));
    }

    /// <summary>
    /// Handles <paramref name="eventName"/> with its first argument as <typeparamref name="T"/>; what the handler
    /// returns acknowledges the event (when the client asked for an acknowledgement).
    /// </summary>
    public Socket On<T, TResult>(string eventName, Func<T?, ValueTask<TResult>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return AddHandler(eventName, (Func<SocketMessage, ValueTask>)(async message =>
        {
            var result = await handler(message.Count > 0 ? message.Get<T>(0) : default).ConfigureAwait(false);
            message.Ack(result);
        }));
    }

    /// <summary>Removes every handler of <paramref name="eventName"/>.</summary>
    public Socket Off(string eventName)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        while (true)
        {
            var current = Volatile.Read(ref _handlers);
            var updated = new SocketHandlerTable(current).Without(eventName).State;
            if (ReferenceEquals(updated, current) || Interlocked.CompareExchange(ref _handlers, updated, current) == current)
            {
                return this;
            }
        }
    }

    /// <summary>Sees every incoming event before its handlers.</summary>
    public Socket OnAny(Action<SocketMessage> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        CopyOnWrite.Append(ref _anyHandlers, handler);

        return this;
    }

    /// <summary>Removes every catch-all listener.</summary>
    public Socket OffAny()
    {
        Volatile.Write(ref _anyHandlers, []);

        return this;
    }

    /// <summary>Sees every event this socket emits (name and arguments), before it is sent.</summary>
    public Socket OnAnyOutgoing(Action<string, object?[]> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        CopyOnWrite.Append(ref _anyOutgoingHandlers, handler);

        return this;
    }

    /// <summary>
    /// Adds middleware for incoming events, run in order before the handlers; throwing stops the event and raises
    /// <see cref="Error"/> (socket.io's <c>socket.use</c>).
    /// </summary>
    public Socket Use(Func<SocketMessage, CancellationToken, ValueTask> middleware)
    {
        ArgumentNullException.ThrowIfNull(middleware);
        CopyOnWrite.Append(ref _middlewares, middleware);

        return this;
    }

    /// <summary>Routes a packet of this namespace.</summary>
    internal void OnPacket(SocketPacket packet)
    {
        switch (packet.Type)
        {
            case SocketPacketType.Event or SocketPacketType.BinaryEvent:
                OnEvent(packet.Data.Span, packet.Data, packet.AckId, packet.Attachments);
                break;
            case SocketPacketType.Ack or SocketPacketType.BinaryAck:
                OnAckPacket(packet);
                break;
            case SocketPacketType.Disconnect:
                OnClose(DisconnectReasons.ClientNamespaceDisconnect);
                break;
        }
    }

    private Socket AddHandler(string eventName, Delegate handler)
    {
        ArgumentNullException.ThrowIfNull(eventName);
        while (true)
        {
            // Copy on write: dispatch reads the table without a lock.
            var current = Volatile.Read(ref _handlers);
            var updated = new SocketHandlerTable(current).With(eventName, handler).State;
            if (Interlocked.CompareExchange(ref _handlers, updated, current) == current)
            {
                return this;
            }
        }
    }

    /// <summary>
    /// An event, its bytes valid only during the call. <paramref name="owned"/> is the same bytes when they live on
    /// the heap unchanged (a decoded packet), so that a <see cref="SocketMessage"/> made of them needs no copy.
    /// </summary>
    internal void OnEvent(ReadOnlySpan<byte> json, ReadOnlyMemory<byte> owned, long ackId, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        var state = default(SocketEventState);
        var handlers = FindHandlers(json, out state.Name);
        var e = new SocketEvent(ref state, this, json, owned, ackId, attachments);
        var anyHandlers = _anyHandlers;
        if (anyHandlers.Length != 0)
        {
            var message = e.ToMessage();
            foreach (var any in anyHandlers)
            {
                Invoke(any, message);
            }
        }

        var middlewares = _middlewares;
        if (middlewares.Length == 0)
        {
            if (handlers is not null)
            {
                Dispatch(in e, handlers);
            }

            return;
        }

        _ = RunMiddlewaresThenDispatchAsync(middlewares, e.ToMessage());
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

    /// <summary>Dispatches an event that already has its heap copy (after asynchronous middleware).</summary>
    private void Dispatch(SocketMessage message)
    {
        if (new SocketHandlerTable(Volatile.Read(ref _handlers)).Find(message.EventName) is not { } handlers)
        {
            return;
        }

        var state = new SocketEventState { Name = message.EventName, Message = message };
        var json = message.RawJson;
        Dispatch(new SocketEvent(ref state, this, json.Span, json, message.AckId, message.Attachments), handlers);
    }

    /// <summary>Calls the handlers of one event name: a <see cref="Delegate"/>, or several as a <see cref="Delegate"/>[].</summary>
    private void Dispatch(in SocketEvent e, object handlers)
    {
        if (handlers is Delegate[] several)
        {
            foreach (var handler in several)
            {
                Dispatch(in e, handler);
            }

            return;
        }

        Dispatch(in e, (Delegate)handlers);
    }

    private void Dispatch(in SocketEvent e, Delegate handler)
    {
        try
        {
            if (handler is SocketEventHandler inPlace)
            {
                inPlace(in e);
                return;
            }

            if (handler is Action<SocketMessage> action)
            {
                action(e.ToMessage());
                return;
            }

            var pending = ((Func<SocketMessage, ValueTask>)handler)(e.ToMessage());
            if (!pending.IsCompletedSuccessfully)
            {
                _ = ObserveAsync(pending);
            }
        }
        catch (Exception ex)
        {
            RaiseError(ex);
        }
    }

    /// <summary>
    /// The handlers of the event whose JSON array is <paramref name="json"/>, found by its name without making a
    /// string of it: the name is unescaped into a stack buffer and looked up as characters. <paramref name="name"/> is
    /// the registered name string on a match.
    /// </summary>
    private object? FindHandlers(ReadOnlySpan<byte> json, out string? name)
    {
        const int MaxStackName = 256;
        var handlers = new SocketHandlerTable(Volatile.Read(ref _handlers));
        var reader = new Utf8JsonReader(json);
        reader.Read();
        reader.Read(); // the parser already checked: a string or a number
        if (reader.HasValueSequence || reader.ValueSpan.Length > MaxStackName)
        {
            name = SocketEvent.ReadEventName(json);
            return handlers.Find(name);
        }

        // Unescaped UTF-16 never takes more chars than the escaped UTF-8 took bytes.
        Span<char> chars = stackalloc char[MaxStackName];
        int length = reader.TokenType == JsonTokenType.String
            ? reader.CopyString(chars)
            : System.Text.Encoding.UTF8.GetChars(reader.ValueSpan, chars);
        return handlers.Find(chars[..length], out name);
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

    private static partial class Log
    {
        [LoggerMessage(40, LogLevel.Error, "A handler of socket {Id} threw")]
        public static partial void HandlerFailed(ILogger logger, Exception exception, string id);
    }
}
