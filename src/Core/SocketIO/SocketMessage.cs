using System.Text.Json;

namespace FastIo.SocketIO;

/// <summary>An event received from a client: its name, its arguments, and the acknowledgement it may expect.</summary>
public sealed class SocketMessage : SocketArgs
{
    private readonly Socket _socket;
    private int _acked;

    internal SocketMessage(Socket socket, string eventName, long ackId, ReadOnlyMemory<byte> json, IReadOnlyList<ReadOnlyMemory<byte>> attachments, JsonSerializerOptions options)
        : base(json, 1, attachments, options)
    {
        _socket = socket;
        EventName = eventName;
        AckId = ackId;
    }

    /// <summary>The event name.</summary>
    public string EventName { get; }

    /// <summary>The socket it came from.</summary>
    public Socket Socket => _socket;

    /// <summary>Whether the client waits for an acknowledgement.</summary>
    public bool HasAck => AckId >= 0;

    internal long AckId { get; }

    /// <summary>
    /// Acknowledges the event with <paramref name="args"/>. Only the first call sends anything, as in socket.io;
    /// returns false when there is nothing (more) to acknowledge.
    /// </summary>
    public bool Ack(params object?[] args)
    {
        if (!HasAck || Interlocked.Exchange(ref _acked, 1) != 0)
        {
            return false;
        }

        _socket.SendAck(AckId, args);
        return true;
    }
}
