namespace FastIo.EngineIO;

/// <summary>The life cycle of an Engine.IO session (engine.io's <c>readyState</c>).</summary>
public enum EngineSessionState
{
    /// <summary>Handshake in progress.</summary>
    Opening,

    /// <summary>Serving packets.</summary>
    Open,

    /// <summary>A close was requested; buffered packets are still flushed.</summary>
    Closing,

    /// <summary>Done; sends are dropped.</summary>
    Closed,
}
