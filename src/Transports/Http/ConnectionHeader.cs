namespace FastIo.Transports.Http;

/// <summary>How the connection header of a response is written.</summary>
internal enum ConnectionHeader
{
    /// <summary>HTTP/1.1 persistent connection: nothing to say (RFC 9112 §9.3).</summary>
    None,

    /// <summary><c>Connection: close</c>: the connection closes after this response.</summary>
    Close,

    /// <summary><c>Connection: keep-alive</c>: an HTTP/1.0 client asked for persistence and gets it.</summary>
    KeepAlive,
}
