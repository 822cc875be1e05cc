namespace FastIo.Transports.Http;

/// <summary>Small result of a parsing step: a status and, for errors, the response code and a reason for the log.</summary>
internal readonly struct HttpParseResult : IEquatable<HttpParseResult>
{
    private HttpParseResult(HttpParseStatus status, int statusCode, string? reason)
    {
        Status = status;
        StatusCode = statusCode;
        Reason = reason;
    }

    public static HttpParseResult Incomplete => default;

    public static HttpParseResult Complete => new(HttpParseStatus.Complete, 0, null);

    public HttpParseStatus Status { get; }

    /// <summary>HTTP status code to answer with (400, 413, 431, 501, 505) when <see cref="Status"/> is Error.</summary>
    public int StatusCode { get; }

    /// <summary>Human readable reason, for logs only (never sent to the peer).</summary>
    public string? Reason { get; }

    public bool IsComplete => Status == HttpParseStatus.Complete;

    public bool IsError => Status == HttpParseStatus.Error;

    public static HttpParseResult Error(int statusCode, string reason) => new(HttpParseStatus.Error, statusCode, reason);

    public static HttpParseResult BadRequest(string reason) => new(HttpParseStatus.Error, 400, reason);

    public bool Equals(HttpParseResult other) =>
        Status == other.Status && StatusCode == other.StatusCode && string.Equals(Reason, other.Reason, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is HttpParseResult other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Status, StatusCode);

    public override string ToString() => IsError ? $"Error {StatusCode}: {Reason}" : Status.ToString();

    public static bool operator ==(HttpParseResult left, HttpParseResult right) => left.Equals(right);

    public static bool operator !=(HttpParseResult left, HttpParseResult right) => !left.Equals(right);
}
