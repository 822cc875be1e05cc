namespace FastIo.Transports.Http;

/// <summary>
/// Limits and timeouts of the HTTP/1.1 server layer. One instance is normally shared by every
/// connection of a server; it is read, never written, by the connections, so it must not be
/// mutated after the server has started.
/// </summary>
public sealed class HttpServerOptions
{
    /// <summary>
    /// Maximum size in bytes of a request head (request line, header field lines and the empty line
    /// that ends them). A larger head is answered with 431 Request Header Fields Too Large
    /// (RFC 6585 §5) and the connection is closed. The same limit bounds the trailer section of a
    /// chunked body.
    /// </summary>
    public int MaxRequestHeadersBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Maximum size in bytes of a decoded request body. A larger <c>Content-Length</c> is rejected up
    /// front, a chunked body as soon as its decoded size would exceed the limit; both with
    /// 413 Content Too Large (RFC 9110 §15.5.14) and the connection is closed.
    /// </summary>
    public long MaxRequestBodyBytes { get; set; } = 1_000_000;

    /// <summary>
    /// Time allowed from the first byte of a request until its head is complete (for the first
    /// request of a connection: from the moment the connection starts). When it expires the
    /// connection is closed without a response; this defeats slowloris-style clients.
    /// <see cref="Timeout.InfiniteTimeSpan"/> or a non-positive value disables it.
    /// </summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long a request body may take to arrive in full once its head is read (a client that trickles a body is
    /// cut, as a slowloris sending headers is). Default 30 seconds.
    /// </summary>
    public TimeSpan RequestBodyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Time a persistent connection may stay idle between two requests before it is closed.
    /// <see cref="Timeout.InfiniteTimeSpan"/> or a non-positive value disables it.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>
    /// Clock used for timeouts and for the <c>Date</c> response header. Tests replace it with a fake
    /// clock. Connections sharing one <see cref="TimeProvider"/> share one timer.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
