using System.Text.Json;

namespace FastIo.SocketIO;

/// <summary>
/// An event received from a client: its name, its arguments, and the acknowledgement it may expect. It owns a copy
/// of the event's bytes, so it may be kept, read and acknowledged at any time, from any thread (handlers given a
/// <see cref="SocketEvent"/> get one from <see cref="SocketEvent.ToMessage"/>). Never pooled: a kept reference always
/// sees this event.
/// </summary>
public sealed class SocketMessage : SocketArgs
{
    private readonly Socket _socket;
    private int _acked;

    internal SocketMessage(Socket socket, string eventName, long ackId, ReadOnlyMemory<byte> json, IReadOnlyList<ReadOnlyMemory<byte>> attachments, JsonSerializerOptions options, bool acked = false)
        : base(json, 1, attachments, options)
    {
        _socket = socket;
        EventName = eventName;
        AckId = ackId;
        _acked = acked ? 1 : 0;
    }

    /// <summary>The event name.</summary>
    public string EventName { get; }

    /// <summary>The socket it came from.</summary>
    public Socket Socket => _socket;

    /// <summary>Whether the client waits for an acknowledgement.</summary>
    public bool HasAck => AckId >= 0;

    internal long AckId { get; }

    /// <summary>
    /// Acknowledges the event with <paramref name="args"/>. Only the first acknowledgement sends anything, as in
    /// socket.io; returns false when there is nothing (more) to acknowledge.
    /// </summary>
    public bool Ack(params object?[] args) => Send(new ObjectArguments(args));

    /// <summary>Acknowledges with one argument, serialized without boxing it or allocating an argument array.</summary>
    public bool Ack<T>(T arg) => Send(new Arguments<T>(arg));

    /// <summary>Acknowledges with two arguments, serialized without boxing them or allocating an argument array.</summary>
    public bool Ack<T1, T2>(T1 arg1, T2 arg2) => Send(new Arguments<T1, T2>(arg1, arg2));

    /// <summary>
    /// Acknowledges with one argument given as UTF-8 JSON (e.g. from <see cref="SocketArgs.GetRawJson"/>), written as
    /// is once checked to be a single valid JSON value.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="json"/> is not one valid JSON value (nothing is sent).</exception>
    public bool AckRawJson(ReadOnlySpan<byte> json)
    {
        SocketEvent.ThrowIfNotOneValue(json);
        return Send(new RawArgument(json));
    }

    /// <summary>Sends the acknowledgement unless it was sent already (true when this call sent it).</summary>
    internal bool Send<TArgs>(TArgs args)
        where TArgs : IPacketArguments, allows ref struct
    {
        if (!HasAck || Interlocked.Exchange(ref _acked, 1) != 0)
        {
            return false;
        }

        _socket.SendAck(AckId, args);
        return true;
    }
}
