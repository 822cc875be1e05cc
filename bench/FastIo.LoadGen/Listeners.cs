using System.Globalization;

namespace FastIo.LoadGen;

/// <summary>
/// Which process listens on a TCP port, read from /proc/net/tcp{,6} and /proc/&lt;pid&gt;/fd. Two suites running on one
/// machine (or a server left over from an earlier run) would otherwise let a generator measure a server it did not
/// start: its own server fails to bind, but the readiness probe is answered by the other one, and the CPU figures
/// come from an idle process.
/// </summary>
internal static class Listeners
{
    private const string ListenState = "0A";

    /// <summary>Whether any socket on this machine listens on <paramref name="port"/>.</summary>
    public static bool InUse(int port) => ListeningInodes(port).Count > 0;

    /// <summary>Whether a socket listening on <paramref name="port"/> belongs to process <paramref name="pid"/>.</summary>
    public static bool OwnedBy(int pid, int port)
    {
        var inodes = ListeningInodes(port);
        if (inodes.Count == 0)
        {
            return false;
        }

        try
        {
            foreach (var fd in Directory.EnumerateFileSystemEntries($"/proc/{pid}/fd"))
            {
                var target = new FileInfo(fd).LinkTarget;
                if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal) &&
                    inodes.Contains(target["socket:[".Length..^1]))
                {
                    return true;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The process exited (or an fd closed) while listing.
        }

        return false;
    }

    private static HashSet<string> ListeningInodes(int port)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        var hexPort = ":" + port.ToString("X4", CultureInfo.InvariantCulture);
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            if (!File.Exists(table))
            {
                continue;
            }

            foreach (var line in File.ReadLines(table).Skip(1))
            {
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length > 9 && fields[3] == ListenState && fields[1].EndsWith(hexPort, StringComparison.Ordinal))
                {
                    inodes.Add(fields[9]);
                }
            }
        }

        return inodes;
    }
}
