namespace FastIo.SocketIO;

/// <summary>
/// Thrown by namespace middleware to refuse a connection: the client gets a CONNECT_ERROR packet with
/// <c>{"message": Message, "data": Data}</c> (its <c>connect_error</c> event).
/// </summary>
public sealed class ConnectionRejectedException : Exception
{
    /// <summary>Refuses with a message and optional data (serialized to JSON).</summary>
    public ConnectionRejectedException(string message, object? data = null)
        : base(message)
    {
        ErrorData = data;
    }

    /// <summary>Creates an exception with the default message.</summary>
    public ConnectionRejectedException()
        : this("Connection rejected")
    {
    }

    /// <summary>Creates an exception with a message and an inner exception.</summary>
    public ConnectionRejectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Extra data the client receives as <c>err.data</c>.</summary>
    public object? ErrorData { get; }
}
