namespace FastIo.Transports.Http;

/// <summary>
/// The response to the current request. One instance per connection, reset between requests. The
/// connection adds <c>Date</c>, <c>Content-Length</c> and <c>Connection</c> itself; fields of those
/// names (and <c>Transfer-Encoding</c>) set by the application are ignored, except that
/// <c>Connection: close</c> makes the connection close after the response.
/// </summary>
internal sealed class HttpResponse
{
    public int StatusCode { get; set; } = 200;

    public HttpHeaders Headers { get; } = new();

    /// <summary>Body bytes; the connection copies them into the transport when it writes the response and keeps no reference afterwards.</summary>
    public ReadOnlyMemory<byte> Body { get; set; }

    /// <summary>Sets the body and, when <paramref name="contentType"/> is not null, the <c>Content-Type</c> field.</summary>
    public void SetBody(ReadOnlyMemory<byte> body, string? contentType)
    {
        Body = body;
        if (contentType is not null)
        {
            Headers.Set("Content-Type", contentType);
        }
    }

    internal void Reset()
    {
        StatusCode = 200;
        Headers.Clear();
        Body = default;
    }
}
