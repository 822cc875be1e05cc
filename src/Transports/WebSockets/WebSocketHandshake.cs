using System.Text;

namespace FastIo.Transports.WebSockets;

/// <summary>Server side of the opening handshake (RFC 6455 §4.2.1 validation, §4.2.2 accept value).</summary>
internal static class WebSocketHandshake
{
    /// <summary>The only version this server speaks (§4.2.1 item 6); send it back in a 426 on mismatch (§4.4).</summary>
    public const string SupportedVersion = "13";

    /// <summary>Fixed GUID appended to the key before hashing (§1.3, §4.2.2).</summary>
    private const string KeyGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Sec-WebSocket-Key is base64 of 16 random bytes (§4.1 item 7), i.e. 24 characters.</summary>
    private const int KeyByteLength = 16;
    private const int KeyEncodedLength = 24;

    /// <summary>
    /// Validates the upgrade request headers (null = header absent) and computes Sec-WebSocket-Accept.
    /// On failure the HTTP layer should answer 400 (or 426 with Sec-WebSocket-Version: 13 for a version mismatch).
    /// </summary>
    public static bool TryAccept(
        string method,
        string? upgradeHeader,
        string? connectionHeader,
        string? versionHeader,
        string? keyHeader,
        out string acceptValue,
        out string? error)
    {
        acceptValue = string.Empty;

        // §4.2.1 item 1: an HTTP/1.1 or higher GET request. Methods are case-sensitive (RFC 9110 §9.1).
        if (!string.Equals(method, "GET", StringComparison.Ordinal))
        {
            error = "WebSocket upgrade requires GET.";
            return false;
        }

        // §4.2.1 item 3: Upgrade header field containing "websocket", case-insensitive.
        if (upgradeHeader is null || !ContainsToken(upgradeHeader, "websocket"))
        {
            error = "Missing or invalid Upgrade header; expected 'websocket'.";
            return false;
        }

        // §4.2.1 item 4: Connection header field that includes the token "Upgrade", case-insensitive.
        if (connectionHeader is null || !ContainsToken(connectionHeader, "upgrade"))
        {
            error = "Missing or invalid Connection header; expected token 'Upgrade'.";
            return false;
        }

        // §4.2.1 item 6: version 13 exactly.
        if (versionHeader is null || !versionHeader.AsSpan().Trim().SequenceEqual(SupportedVersion))
        {
            error = "Unsupported Sec-WebSocket-Version; expected 13.";
            return false;
        }

        // §4.2.1 item 5: key that decodes to exactly 16 bytes.
        if (keyHeader is null)
        {
            error = "Missing Sec-WebSocket-Key header.";
            return false;
        }

        ReadOnlySpan<char> key = keyHeader.AsSpan().Trim();
        Span<byte> decoded = stackalloc byte[KeyByteLength];
        if (key.Length != KeyEncodedLength
            || !Convert.TryFromBase64Chars(key, decoded, out int decodedLength)
            || decodedLength != KeyByteLength)
        {
            error = "Invalid Sec-WebSocket-Key; expected base64 of 16 bytes.";
            return false;
        }

        acceptValue = ComputeAccept(key);
        error = null;
        return true;
    }

    /// <summary>§4.2.2 item 5.4: base64(SHA-1(key + GUID)). The key is ASCII after the length/base64 checks.</summary>
    internal static string ComputeAccept(ReadOnlySpan<char> key)
    {
        Span<byte> input = stackalloc byte[KeyEncodedLength + KeyGuid.Length];
        int written = Encoding.ASCII.GetBytes(key, input);
        written += Encoding.ASCII.GetBytes(KeyGuid, input[written..]);
        Span<byte> hash = stackalloc byte[Sha1.HashLength];
        Sha1.HashData(input[..written], hash);
        return Convert.ToBase64String(hash);
    }

    /// <summary>Whether a comma-separated header value (RFC 9110 §5.6.1 list) contains <paramref name="token"/>, ignoring case and whitespace.</summary>
    internal static bool ContainsToken(string headerValue, string token)
    {
        ReadOnlySpan<char> remaining = headerValue;
        while (true)
        {
            int comma = remaining.IndexOf(',');
            ReadOnlySpan<char> item = comma < 0 ? remaining : remaining[..comma];
            if (item.Trim().Equals(token, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            if (comma < 0)
            {
                return false;
            }

            remaining = remaining[(comma + 1)..];
        }
    }
}
