using System.Globalization;
using System.Text.RegularExpressions;

namespace FastIo.Tests.Deploy;

/// <summary>
/// One access-log line of a balancer, in the format both test configurations write: <c>STATUS URI UPSTREAMS</c>, where
/// UPSTREAMS lists every node tried (nginx: <c>127.0.0.1:A, 127.0.0.1:B</c>) and the last one answered.
/// </summary>
internal readonly partial record struct BalancedRequest(int Status, string Uri, string? Sid, int NodePort)
{
    /// <summary>The request, or null for any other output line (errors, warnings, state changes).</summary>
    public static BalancedRequest? Parse(string line)
    {
        var match = LogLine().Match(line);
        if (!match.Success)
        {
            return null;
        }

        var uri = match.Groups["uri"].Value;
        var sid = SidParameter().Match(uri);
        var upstream = match.Groups["upstreams"].Value.Split(',')[^1].Trim();
        var colon = upstream.LastIndexOf(':');
        _ = int.TryParse(upstream.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port);
        return new BalancedRequest(
            int.Parse(match.Groups["status"].Value, CultureInfo.InvariantCulture),
            uri,
            sid.Success ? System.Uri.UnescapeDataString(sid.Groups[1].Value) : null,
            port);
    }

    [GeneratedRegex(@"^(?<status>-?\d+) (?<uri>/\S*) (?<upstreams>.+)$")]
    private static partial Regex LogLine();

    [GeneratedRegex(@"[?&]sid=([^&]+)")]
    private static partial Regex SidParameter();
}
