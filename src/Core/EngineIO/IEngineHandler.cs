namespace FastIo.EngineIO;

/// <summary>
/// The engine ↔ application seam (Socket.IO's <c>Client</c>, or a raw Engine.IO application). The messages of one
/// session arrive in order, one call at a time; <see cref="OnClose"/> may come from another thread (a timeout, the
/// server), even while a message is being handled. Different sessions' callbacks run concurrently. Exceptions from
/// the callbacks are logged and do not affect the transport.
/// </summary>
public interface IEngineHandler
{
    /// <summary>A session completed its handshake.</summary>
    void OnOpen(EngineSession session);

    /// <summary>A message arrived; <paramref name="data"/> (UTF-8 text or raw bytes) is valid only during the call.</summary>
    void OnMessage(EngineSession session, ReadOnlySpan<byte> data, bool isBinary);

    /// <summary>
    /// The session closed, once, with engine.io's reason: <c>transport close</c>, <c>transport error</c>,
    /// <c>ping timeout</c>, <c>parse error</c>, <c>forced close</c> or <c>server shutting down</c>.
    /// </summary>
    void OnClose(EngineSession session, string reason);
}
