namespace FastIo.SocketIO;

/// <summary>An emit with an acknowledgement deadline, from <see cref="Socket.Timeout"/>.</summary>
public readonly struct SocketAckEmitter
{
    private readonly Socket _socket;
    private readonly TimeSpan _timeout;

    internal SocketAckEmitter(Socket socket, TimeSpan timeout)
    {
        _socket = socket;
        _timeout = timeout;
    }

    /// <summary>Emits and waits for the acknowledgement; <see cref="AckTimeoutException"/> after the deadline.</summary>
    public Task<SocketArgs> EmitWithAckAsync(string eventName, params object?[] args) =>
        _socket.EmitWithAckAsync(eventName, args, _timeout);
}
