namespace FastIo.Transports.Http;

/// <summary>Character classes of the HTTP grammar, as lookup tables so validation is one load per byte.</summary>
internal static class HttpCharacters
{
    // tchar (RFC 9110 §5.6.2): "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
    private static readonly bool[] s_token = BuildTokenTable();

    public static bool IsTokenChar(byte b) => s_token[b];

    public static bool IsToken(ReadOnlySpan<byte> span)
    {
        if (span.IsEmpty)
        {
            return false;
        }

        foreach (var b in span)
        {
            if (!s_token[b])
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsToken(ReadOnlySpan<char> span)
    {
        if (span.IsEmpty)
        {
            return false;
        }

        foreach (var c in span)
        {
            if (c > 0x7F || !s_token[c])
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// field-value characters (RFC 9110 §5.5): VCHAR, SP, HTAB and obs-text (0x80-0xFF). Every other
    /// control character, notably CR, LF and NUL, is invalid; rejecting bare CR inside a line is also what
    /// RFC 9112 §2.2 asks of recipients.
    /// </summary>
    public static bool IsFieldValue(ReadOnlySpan<byte> span)
    {
        foreach (var b in span)
        {
            if ((b < 0x20 && b != (byte)'\t') || b == 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Same rule as <see cref="IsFieldValue(ReadOnlySpan{byte})"/> for values the application sets.</summary>
    public static bool IsFieldValue(ReadOnlySpan<char> span)
    {
        foreach (var c in span)
        {
            if ((c < 0x20 && c != '\t') || c == 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Request-target characters: visible US-ASCII only (RFC 3986 URIs; RFC 9112 §3.2 forbids whitespace).</summary>
    public static bool IsTargetChars(ReadOnlySpan<byte> span)
    {
        foreach (var b in span)
        {
            if (b <= 0x20 || b >= 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsWhitespace(byte b) => b == (byte)' ' || b == (byte)'\t';

    public static ReadOnlySpan<byte> TrimWhitespace(ReadOnlySpan<byte> span)
    {
        var start = 0;
        while (start < span.Length && IsWhitespace(span[start]))
        {
            start++;
        }

        var end = span.Length;
        while (end > start && IsWhitespace(span[end - 1]))
        {
            end--;
        }

        return span[start..end];
    }

    private static bool[] BuildTokenTable()
    {
        var table = new bool[256];
        for (var c = '0'; c <= '9'; c++)
        {
            table[c] = true;
        }

        for (var c = 'a'; c <= 'z'; c++)
        {
            table[c] = true;
            table[c - 32] = true;
        }

        foreach (var c in "!#$%&'*+-.^_`|~")
        {
            table[c] = true;
        }

        return table;
    }
}
