namespace FastIo.EngineIO;

/// <summary>The cookie set on the handshake response, carrying the sid, for sticky load balancing.</summary>
public sealed class SessionCookieOptions
{
    /// <summary>Cookie name; default <c>io</c>.</summary>
    public string Name { get; set; } = "io";

    /// <summary>Cookie path; default <c>/</c>.</summary>
    public string Path { get; set; } = "/";

    /// <summary>Whether scripts are denied the cookie; default true.</summary>
    public bool HttpOnly { get; set; } = true;

    /// <summary><c>Lax</c> (default), <c>Strict</c> or <c>None</c>.</summary>
    public string SameSite { get; set; } = "Lax";

    /// <summary>Adds <c>Secure</c>; required by browsers with <c>SameSite=None</c>.</summary>
    public bool Secure { get; set; }

    /// <summary>Optional lifetime (<c>Max-Age</c>); none makes a session cookie.</summary>
    public TimeSpan? MaxAge { get; set; }

    /// <summary>The <c>Set-Cookie</c> header value for a session id.</summary>
    public string Format(string sid)
    {
        var builder = new System.Text.StringBuilder(64);
        builder.Append(Name).Append('=').Append(Uri.EscapeDataString(sid)).Append("; Path=").Append(Path);
        if (MaxAge is { } maxAge)
        {
            builder.Append("; Max-Age=").Append((long)maxAge.TotalSeconds);
        }

        if (HttpOnly)
        {
            builder.Append("; HttpOnly");
        }

        if (Secure)
        {
            builder.Append("; Secure");
        }

        if (!string.IsNullOrEmpty(SameSite))
        {
            builder.Append("; SameSite=").Append(SameSite);
        }

        return builder.ToString();
    }
}
