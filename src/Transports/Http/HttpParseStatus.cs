namespace FastIo.Transports.Http;

/// <summary>Outcome of one parsing step.</summary>
internal enum HttpParseStatus
{
    /// <summary>More bytes are needed; everything that could be consumed has been.</summary>
    Incomplete,

    /// <summary>The element (request head, body) is complete.</summary>
    Complete,

    /// <summary>The input is invalid; <see cref="HttpParseResult.StatusCode"/> says how to answer.</summary>
    Error,
}
