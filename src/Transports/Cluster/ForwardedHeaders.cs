using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using FastIo.Transports.Http;

namespace FastIo.Transports.Cluster;

/// <summary>
/// The fields a node adds to a request it forwards to the session's owner: who forwarded it (whose presence alone stops
/// the owner from forwarding it again, so a stale directory cannot make two nodes bounce a request), the client's
/// address, and an HMAC-SHA256 over both and the sid with the cluster key, without which the address is not believed.
/// </summary>
/// <remarks>
/// The marker is honoured unsigned on purpose: a client that forges it only keeps its own request from being
/// forwarded. The address is what a client would like to forge (to pose as another IP in <c>AllowRequest</c>), so it
/// needs the signature; the key never travels, only the MAC.
/// </remarks>
internal static class ForwardedHeaders
{
    /// <summary>The forwarding node's id; present means "do not forward again".</summary>
    public const string ForwardedBy = "X-FastIo-Forwarded-By";

    /// <summary>The client's address as the forwarding node saw it.</summary>
    public const string Client = "X-FastIo-Client";

    /// <summary>base64url(HMAC-SHA256(cluster key, "{forwarded-by}\n{client}\n{sid}")).</summary>
    public const string Signature = "X-FastIo-Signature";

    private const int MacBytes = 32;

    /// <summary>Whether <paramref name="name"/> is one of these fields (a client's copies are never passed on).</summary>
    public static bool IsOwn(string name) =>
        name.Length > 9 && name.StartsWith("X-FastIo-", StringComparison.OrdinalIgnoreCase);

    /// <summary>The signature of a forwarded request.</summary>
    public static string Sign(ReadOnlySpan<byte> key, string forwardedBy, string client, string? sid)
    {
        Span<byte> mac = stackalloc byte[MacBytes];
        Mac(key, forwardedBy, client, sid, mac);
        return Base64Url.EncodeToString(mac);
    }

    /// <summary>
    /// The client's address carried by a request a peer forwarded, when the request is signed with
    /// <paramref name="key"/>; null for any other request (direct, unsigned, forged or with an unreadable address).
    /// </summary>
    public static IPEndPoint? TrustedClient(HttpHeaders headers, ReadOnlySpan<byte> key, string? sid) =>
        IsSigned(headers, key, sid) && IPEndPoint.TryParse(headers.Get(Client)!, out var endPoint) ? endPoint : null;

    /// <summary>Whether the forwarding fields are all present and signed with <paramref name="key"/>.</summary>
    public static bool IsSigned(HttpHeaders headers, ReadOnlySpan<byte> key, string? sid)
    {
        var forwardedBy = headers.Get(ForwardedBy);
        var client = headers.Get(Client);
        var signature = headers.Get(Signature);
        if (forwardedBy is null || client is null || signature is null || key.IsEmpty)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[MacBytes];
        Span<byte> actual = stackalloc byte[MacBytes];
        Mac(key, forwardedBy, client, sid, expected);
        return Base64Url.GetMaxDecodedLength(signature.Length) >= MacBytes
            && Base64Url.TryDecodeFromChars(signature, actual, out var written)
            && written == MacBytes
            && CryptographicOperations.FixedTimeEquals(expected, actual);
    }

    /// <summary>The client address as written into <see cref="Client"/>.</summary>
    public static string Format(EndPoint? remote) => remote switch
    {
        IPEndPoint ip => ip.ToString(),
        null => "unknown",
        _ => remote.ToString() ?? "unknown",
    };

    /// <summary>The node id as written into <see cref="ForwardedBy"/>.</summary>
    public static string Format(int nodeId) => nodeId.ToString(CultureInfo.InvariantCulture);

    private static void Mac(ReadOnlySpan<byte> key, string forwardedBy, string client, string? sid, Span<byte> destination)
    {
        var length = forwardedBy.Length + client.Length + (sid?.Length ?? 0) + 2;
        var rented = length <= 256 ? null : new byte[Encoding.UTF8.GetMaxByteCount(length)];
        Span<byte> text = rented ?? stackalloc byte[Encoding.UTF8.GetMaxByteCount(256)];
        var n = Encoding.UTF8.GetBytes(forwardedBy, text);
        text[n++] = (byte)'\n';
        n += Encoding.UTF8.GetBytes(client, text[n..]);
        text[n++] = (byte)'\n';
        n += Encoding.UTF8.GetBytes(sid.AsSpan(), text[n..]);
        HMACSHA256.HashData(key, text[..n], destination);
    }
}
