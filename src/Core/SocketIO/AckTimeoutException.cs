namespace FastIo.SocketIO;

/// <summary>
/// Acknowledgements did not all arrive in time. For a broadcast, <see cref="Responses"/> holds the replies that did
/// arrive and <see cref="Expected"/> how many clients were asked.
/// </summary>
public sealed class AckTimeoutException : TimeoutException
{
    /// <summary>Creates the exception.</summary>
    public AckTimeoutException(IReadOnlyList<SocketArgs> responses, int expected)
        : base($"operation has timed out: {responses.Count} of {expected} acknowledgements arrived")
    {
        Responses = responses;
        Expected = expected;
    }

    /// <summary>Creates the exception with a message.</summary>
    public AckTimeoutException()
        : this(Array.Empty<SocketArgs>(), 1)
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public AckTimeoutException(string message)
        : base(message)
    {
        Responses = Array.Empty<SocketArgs>();
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public AckTimeoutException(string message, Exception innerException)
        : base(message, innerException)
    {
        Responses = Array.Empty<SocketArgs>();
    }

    /// <summary>The replies that arrived.</summary>
    public IReadOnlyList<SocketArgs> Responses { get; }

    /// <summary>How many replies were expected.</summary>
    public int Expected { get; }
}
