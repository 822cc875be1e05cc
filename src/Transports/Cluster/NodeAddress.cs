using System.Globalization;
using System.Net;

namespace FastIo.Transports.Cluster;

/// <summary>Reads and writes the <c>host:port</c> form of a node's address (IPv6 literals in brackets).</summary>
internal static class NodeAddress
{
    /// <summary>Splits <paramref name="address"/>; false when it has no valid port.</summary>
    public static bool TryParse(string address, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port)
            || port is <= 0 or > IPEndPoint.MaxPort)
        {
            return false;
        }

        host = address[..colon];
        if (host.Length > 2 && host[0] == '[' && host[^1] == ']')
        {
            host = host[1..^1];
        }

        return true;
    }

    /// <summary>
    /// The address peers reach a node at when it listens on <paramref name="endPoint"/>: the address itself, or
    /// <c>127.0.0.1</c> for a wildcard (the only address sure to reach it, and right when nodes share a machine).
    /// </summary>
    public static string ForListener(IPEndPoint endPoint)
    {
        var ip = endPoint.Address;
        if (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any))
        {
            ip = IPAddress.Loopback;
        }

        return new IPEndPoint(ip, endPoint.Port).ToString();
    }
}
