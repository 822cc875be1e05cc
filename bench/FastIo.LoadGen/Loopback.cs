using System.Net;
using System.Net.Sockets;

namespace FastIo.LoadGen;

/// <summary>
/// The generator only ever targets this machine, and spreads its connections over several 127.0.0.x source
/// addresses so each gets its own ephemeral port range; sockets close with RST (linger 0) so back-to-back runs
/// leave no TIME_WAIT behind.
/// </summary>
internal static class Loopback
{
    /// <summary>Source addresses 127.0.0.2 … 127.0.0.(1+Count).</summary>
    public const int SourceCount = 8;

    public static void Require(IPAddress address)
    {
        if (!IPAddress.IsLoopback(address))
        {
            throw new ArgumentException($"refusing to target {address}: the load generator only targets loopback");
        }
    }

    public static IPAddress Source(int index) => new(new byte[] { 127, 0, 0, (byte)(2 + (index % SourceCount)) });

    public static Socket NewSocket(IPAddress local)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp)
        {
            NoDelay = true,
            LingerState = new LingerOption(true, 0),
        };
        socket.Bind(new IPEndPoint(local, 0));
        return socket;
    }
}
