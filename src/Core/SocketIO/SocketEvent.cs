using System.Text;
using System.Text.Json;

namespace FastIo.SocketIO;

/// <summary>
/// An event received from a client, read in place: its arguments are views over the received bytes, valid only
/// while the <see cref="SocketEventHandler"/> runs. Being a <c>ref struct</c>, it cannot be captured by a lambda,
/// stored in a field or kept across an <c>await</c>: the compiler enforces that lifetime, so the bytes can be the
/// connection's receive buffer and nothing is allocated for the event. To acknowledge or read it later (another
/// callback, async work), call <see cref="ToMessage"/>: a <see cref="SocketMessage"/> owns a copy and may be kept.
/// </summary>
/// <remarks>
/// Nothing here is pooled or recycled, which is why it is safe: the alternative, pooling <see cref="SocketMessage"/>
/// and recycling it once the handler returned and the acknowledgement was sent, cannot tell whether the handler kept
/// a reference (a log list, a closure), and a kept reference would then see another event's data.
/// </remarks>
public readonly ref struct SocketEvent
{
    private readonly ref SocketEventState _state;
    private readonly ReadOnlySpan<byte> _json;
    private readonly ReadOnlyMemory<byte> _owned;
    private readonly long _ackId;

    /// <param name="state">The dispatcher's shared state (one per event).</param>
    /// <param name="socket">The socket the event came from.</param>
    /// <param name="json">The event's JSON array (the name first).</param>
    /// <param name="owned">The same bytes when they already live on the heap unchanged (then <see cref="ToMessage"/> need not copy), else empty.</param>
    /// <param name="ackId">The acknowledgement id, or -1.</param>
    /// <param name="attachments">Binary attachments the placeholders refer to.</param>
    internal SocketEvent(ref SocketEventState state, Socket socket, ReadOnlySpan<byte> json, ReadOnlyMemory<byte> owned, long ackId, IReadOnlyList<ReadOnlyMemory<byte>> attachments)
    {
        _state = ref state;
        Socket = socket;
        _json = json;
        _owned = owned;
        _ackId = ackId;
        Attachments = attachments;
    }

    /// <summary>The socket it came from.</summary>
    public Socket Socket { get; }

    /// <summary>The event name (the registered handler's name string when it matched one; otherwise decoded on demand).</summary>
    public string EventName => _state.Name ??= ReadEventName(_json);

    /// <summary>Whether the client waits for an acknowledgement.</summary>
    public bool HasAck => _ackId >= 0;

    /// <summary>The raw UTF-8 JSON array as received, the event name first; valid only during the handler.</summary>
    public ReadOnlySpan<byte> RawJson => _json;

    /// <summary>The binary attachments the placeholders in <see cref="RawJson"/> refer to.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Attachments { get; }

    /// <summary>The number of arguments (the name not counted).</summary>
    public int Count => ArgumentReader.Count(_json, 1);

    /// <summary>
    /// Deserializes argument <paramref name="index"/> as <typeparamref name="T"/> straight from the received bytes
    /// (no document; a struct or a number allocates nothing). Binary values resolve as with <see cref="SocketArgs.Get{T}"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">There is no such argument.</exception>
    /// <exception cref="JsonException">The argument does not fit <typeparamref name="T"/>.</exception>
    public T? Get<T>(int index = 0) =>
        ArgumentReader.Get<T>(_json, 1, index, Attachments, Socket.Namespace.Server.JsonOptions);

    /// <summary>
    /// Argument <paramref name="index"/> as the exact UTF-8 JSON it was sent as, valid only during the handler: to send
    /// it back with <see cref="AckRawJson"/> (an echo) with no document built. Binary placeholders are left as they are.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">There is no such argument.</exception>
    public ReadOnlySpan<byte> GetRawJson(int index = 0)
    {
        var (start, length) = ArgumentReader.Locate(_json, 1, index);
        return _json.Slice(start, length);
    }

    /// <summary>Argument <paramref name="index"/> as a JSON element that may be kept (allocates a document).</summary>
    /// <exception cref="ArgumentOutOfRangeException">There is no such argument.</exception>
    public JsonElement GetJson(int index = 0)
    {
        var reader = ArgumentReader.Seek(_json, 1, index);
        return JsonElement.ParseValue(ref reader);
    }

    /// <summary>
    /// Acknowledges the event with no arguments. Only the first acknowledgement of an event sends anything (whether
    /// through this, another handler, or the event's <see cref="SocketMessage"/>); returns false when there is nothing
    /// (more) to acknowledge.
    /// </summary>
    public bool Ack() => Send(default(NoArguments));

    /// <summary>Acknowledges with one argument, serialized without boxing it or allocating an argument array.</summary>
    public bool Ack<T>(T arg) => Send(new Arguments<T>(arg));

    /// <summary>Acknowledges with two arguments, serialized without boxing them or allocating an argument array.</summary>
    public bool Ack<T1, T2>(T1 arg1, T2 arg2) => Send(new Arguments<T1, T2>(arg1, arg2));

    /// <summary>Acknowledges with any number of arguments, serialized by their runtime types.</summary>
    public bool Ack(params ReadOnlySpan<object?> args) => Send(new ObjectArguments(args));

    /// <summary>
    /// Acknowledges with one argument given as UTF-8 JSON (e.g. <see cref="GetRawJson"/>: the echo of what the client
    /// sent), written as is once checked to be a single valid JSON value.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="json"/> is not one valid JSON value (nothing is sent).</exception>
    public bool AckRawJson(ReadOnlySpan<byte> json)
    {
        ThrowIfNotOneValue(json);
        return Send(new RawArgument(json));
    }

    /// <summary>
    /// A copy of the event that may be kept beyond the handler: read later, acknowledged later (from another callback
    /// or after an <c>await</c>). Made once per event (every handler gets the same instance); from then on the copy
    /// owns the acknowledgement, and acknowledging either one acknowledges the event once.
    /// </summary>
    public SocketMessage ToMessage()
    {
        if (_state.Message is { } existing)
        {
            return existing;
        }

        var bytes = _owned.IsEmpty ? _json.ToArray() : _owned;
        var message = new SocketMessage(Socket, EventName, _ackId, bytes, Attachments, Socket.Namespace.Server.JsonOptions, _state.Acked);
        _state.Message = message;
        return message;
    }

    /// <summary>The arguments as a JSON array text (the event name first), for logging.</summary>
    public override string ToString() => Encoding.UTF8.GetString(_json);

    /// <summary>Throws <see cref="ArgumentException"/> unless <paramref name="json"/> is exactly one valid JSON value.</summary>
    internal static void ThrowIfNotOneValue(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (reader.Read())
            {
                reader.Skip();
                if (!reader.Read())
                {
                    return;
                }
            }
        }
        catch (JsonException e)
        {
            throw new ArgumentException("Not a single valid JSON value.", nameof(json), e);
        }

        throw new ArgumentException("Not a single valid JSON value.", nameof(json));
    }

    /// <summary>The event name: the first element of the array (the parser already checked it is a string or a number).</summary>
    internal static string ReadEventName(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        reader.Read();
        reader.Read();
        return reader.TokenType == JsonTokenType.String
            ? reader.GetString()!
            : Encoding.UTF8.GetString(reader.ValueSpan);
    }

    private bool Send<TArgs>(TArgs args)
        where TArgs : IPacketArguments, allows ref struct
    {
        if (_state.Message is { } message)
        {
            return message.Send(args);
        }

        if (_ackId < 0 || _state.Acked)
        {
            return false;
        }

        _state.Acked = true;
        Socket.SendAck(_ackId, args);
        return true;
    }
}
