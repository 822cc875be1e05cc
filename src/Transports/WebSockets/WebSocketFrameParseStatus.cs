namespace FastIo.Transports.WebSockets;

/// <summary>Outcome of <see cref="WebSocketFrameParser.TryParseHeader"/>.</summary>
internal enum WebSocketFrameParseStatus
{
    /// <summary>More bytes are needed; the reader was left where it started.</summary>
    Incomplete,

    /// <summary>The header was parsed and the reader sits at the first payload byte.</summary>
    Complete,

    /// <summary>The header violates the protocol; fail the connection with the reported close code.</summary>
    Error,
}
