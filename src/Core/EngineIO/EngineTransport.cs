namespace FastIo.EngineIO;

/// <summary>
/// The transport ↔ engine seam: moves Engine.IO packets for one session (polling, WebSocket). The engine never
/// sees HTTP. Every member is called with the session's <see cref="EngineSession.SyncRoot"/> held, and must not
/// block: a transport queues or completes a pending request and returns.
/// </summary>
internal abstract class EngineTransport
{
    /// <summary><c>polling</c> or <c>websocket</c>, as in the <c>transport</c> query parameter.</summary>
    public abstract string Name { get; }

    /// <summary>Whether <see cref="Send"/> can deliver now (polling: a GET is waiting; WebSocket: always while open).</summary>
    public abstract bool IsWritable { get; }

    /// <summary>Whether the transport is writable but far behind (its peer reads slowly): volatile messages are dropped.</summary>
    public virtual bool IsCongested => false;

    /// <summary>Whether the transport delivers each packet on its own (WebSocket) rather than in payloads.</summary>
    public abstract bool HandlesUpgrades { get; }

    /// <summary>The session the transport serves; set when it is attached.</summary>
    public EngineSession? Session { get; set; }

    /// <summary>
    /// Delivers packets; only called while <see cref="IsWritable"/>. The packets' bytes are valid during the call: a
    /// transport that keeps a <see cref="EnginePacket.Shared"/> message beyond it (a queue) takes its own reference
    /// (<see cref="EngineMessage.AddRef"/>) and releases it once done, since the message may be pooled.
    /// </summary>
    public abstract void Send(ReadOnlySpan<EnginePacket> packets);

    /// <summary>
    /// Whether <see cref="SendTransient"/> is supported: the transport copies a packet's bytes before returning
    /// (a WebSocket frames them into its send queue), so the caller's buffer can be reused right after.
    /// </summary>
    public virtual bool CopiesOnSend => false;

    /// <summary>
    /// Delivers one text packet whose bytes are valid only during the call; only called while
    /// <see cref="IsWritable"/>, nothing is buffered before it, and <see cref="CopiesOnSend"/> is true.
    /// </summary>
    public virtual void SendTransient(EnginePacketType type, ReadOnlySpan<byte> utf8) =>
        throw new NotSupportedException("This transport keeps the packets it is given; use Send.");

    /// <summary>
    /// Closes the transport. A polling transport with a waiting GET answers it with a close packet; without one
    /// it answers the next GET so (or gives up after a timeout). When done the transport calls
    /// <see cref="EngineSession.OnTransportClosed"/>.
    /// </summary>
    public abstract void Close();

    /// <summary>The transport was replaced by an upgrade: end any waiting request with a noop and stop serving.</summary>
    public abstract void Discard();
}
