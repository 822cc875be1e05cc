namespace FastIo.SocketIO;

/// <summary>
/// What the handlers of one event share while it is dispatched (on the dispatcher's stack; every
/// <see cref="SocketEvent"/> copy refers to it): the matched name, whether it was acknowledged, and the heap copy
/// once someone asked for one, which from then on owns the acknowledgement.
/// </summary>
internal struct SocketEventState
{
    /// <summary>The event name when already known as a string (the registered handler name it matched).</summary>
    public string? Name;

    /// <summary>The acknowledgement was sent (or claimed) through a <see cref="SocketEvent"/>.</summary>
    public bool Acked;

    /// <summary>The copy made by <see cref="SocketEvent.ToMessage"/>, if any.</summary>
    public SocketMessage? Message;
}
