using System.Text.Json;

namespace FastIo.SocketIO;

/// <summary>
/// An event another server of the cluster sent with <c>ServerSideEmit</c>: its name, its arguments, and, when the
/// sender waits for replies, the acknowledgement it expects from this server.
/// </summary>
public sealed class ServerSideMessage : SocketArgs
{
    private readonly Action<object?[]>? _ack;
    private int _acked;

    internal ServerSideMessage(string eventName, ReadOnlyMemory<byte> jsonArray, IReadOnlyList<ReadOnlyMemory<byte>> attachments, JsonSerializerOptions options, Action<object?[]>? ack)
        : base(jsonArray, 1, attachments, options)
    {
        EventName = eventName;
        _ack = ack;
    }

    /// <summary>The event name.</summary>
    public string EventName { get; }

    /// <summary>Whether the sending server waits for an acknowledgement.</summary>
    public bool HasAck => _ack is not null;

    /// <summary>Acknowledges the event; only the first call sends anything (as in socket.io).</summary>
    public bool Ack(params object?[] args)
    {
        if (_ack is null || Interlocked.Exchange(ref _acked, 1) != 0)
        {
            return false;
        }

        _ack(args);
        return true;
    }
}
