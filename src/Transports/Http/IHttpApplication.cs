namespace FastIo.Transports.Http;

/// <summary>The layer above HTTP (Engine.IO): handles each parsed request of a connection.</summary>
internal interface IHttpApplication
{
    /// <summary>
    /// Handles one request. The application fills <see cref="HttpContext.Response"/>; the connection
    /// writes it once the returned task completes. Requests of one connection are handled strictly one
    /// after another, never concurrently.
    /// </summary>
    ValueTask HandleAsync(HttpContext context);

    /// <summary>
    /// Called for a 400/413/431/501/505 that the HTTP layer produces itself, before it is written
    /// (with <c>Connection: close</c>), so the application can put its own body in. The status code is
    /// already set on <paramref name="response"/>. Must not block.
    /// </summary>
    void OnRequestError(int statusCode, HttpResponse response);
}
