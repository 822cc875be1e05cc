namespace FastIo.SocketIO;

/// <summary>The socket disconnected while an operation waited on it (e.g. an acknowledgement).</summary>
public sealed class SocketDisconnectedException : IOException
{
    /// <summary>Creates the exception.</summary>
    public SocketDisconnectedException()
        : base("The socket disconnected")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public SocketDisconnectedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public SocketDisconnectedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
