using System.Globalization;
using System.Text;

namespace FastIo.Transports.Http;

/// <summary>
/// The <c>Date: ...\r\n</c> line (RFC 9110 §6.6.1, IMF-fixdate, same layout as RFC 1123), rebuilt at
/// most once per second and shared by every connection on the same clock.
/// </summary>
internal sealed class HttpDateHeader
{
    private readonly TimeProvider _timeProvider;
    private Entry? _current;

    public HttpDateHeader(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
    }

    public ReadOnlySpan<byte> GetLine()
    {
        var now = _timeProvider.GetUtcNow();
        var second = now.UtcTicks / TimeSpan.TicksPerSecond;
        var current = Volatile.Read(ref _current);
        if (current is null || current.Second != second)
        {
            // Immutable entries swapped atomically: readers never see a half-written line.
            current = new Entry(second, Encoding.ASCII.GetBytes("Date: " + now.ToString("r", CultureInfo.InvariantCulture) + "\r\n"));
            Volatile.Write(ref _current, current);
        }

        return current.Line;
    }

    private sealed record Entry(long Second, byte[] Line);
}
