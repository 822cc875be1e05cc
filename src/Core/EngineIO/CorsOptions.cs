namespace FastIo.EngineIO;

/// <summary>Cross-origin resource sharing for the HTTP requests of the Engine.IO path (the <c>cors</c> package's semantics).</summary>
public sealed class CorsOptions
{
    /// <summary>Allowed origins; <c>*</c> allows any. Ignored when <see cref="OriginPredicate"/> is set.</summary>
    public IList<string> Origins { get; set; } = new List<string> { "*" };

    /// <summary>Decides per request whether an origin is allowed; the origin is then reflected.</summary>
    public Func<string, bool>? OriginPredicate { get; set; }

    /// <summary>
    /// Sends <c>Access-Control-Allow-Credentials: true</c>. Browsers refuse credentials with <c>*</c>: list the
    /// origins, or set <see cref="OriginPredicate"/> (which reflects the origin) — <c>*</c> is never widened.
    /// </summary>
    public bool Credentials { get; set; }

    /// <summary>Methods announced in preflight answers.</summary>
    public IList<string> Methods { get; set; } = new List<string> { "GET", "HEAD", "PUT", "PATCH", "POST", "DELETE" };

    /// <summary>Headers announced in preflight answers; empty reflects the request's <c>Access-Control-Request-Headers</c>.</summary>
    public IList<string> AllowedHeaders { get; set; } = new List<string>();

    /// <summary>Preflight cache lifetime (<c>Access-Control-Max-Age</c>); <c>null</c> sends none.</summary>
    public TimeSpan? MaxAge { get; set; }

    /// <summary>
    /// The <c>Access-Control-Allow-Origin</c> value for a request from <paramref name="origin"/>, or <c>null</c>
    /// when the origin is not allowed (then no CORS header is sent and the browser blocks the response).
    /// </summary>
    public string? AllowOriginFor(string? origin)
    {
        if (OriginPredicate is not null)
        {
            return origin is not null && OriginPredicate(origin) ? origin : null;
        }

        foreach (var allowed in Origins)
        {
            if (allowed == "*")
            {
                // Literally "*", as the cors package sends: reflecting any origin with credentials would let any
                // website make cookie-authenticated requests.
                return "*";
            }

            if (origin is not null && string.Equals(allowed, origin, StringComparison.OrdinalIgnoreCase))
            {
                return origin;
            }
        }

        return null;
    }
}
