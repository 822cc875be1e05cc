namespace FastIo.Transports.Http;

/// <summary>Request methods the upper layers care about (RFC 9110 §9); anything else is <see cref="Other"/>.</summary>
internal enum HttpMethod
{
    Get,
    Head,
    Post,
    Put,
    Delete,
    Options,
    Patch,
    Other,
}
