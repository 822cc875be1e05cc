using System.IO.Pipelines;
using System.Net;

namespace FastIo.Transports.Hosting;

/// <summary>
/// The socket seam: accepts connections and exposes each as a duplex pipe. Two engines: the runtime's sockets
/// (<see cref="SocketConnectionListener"/>) and FastIo's epoll loops (<see cref="Epoll.EpollConnectionListener"/>).
/// </summary>
internal interface IConnectionListener : IAsyncDisposable
{
    /// <summary>The bound address (with the real port when 0 was asked for).</summary>
    EndPoint EndPoint { get; }

    /// <summary>
    /// Whether an accept completes on a socket thread that processes its connections inline anyway: the host then
    /// serves a new connection right there, up to its first wait, instead of hopping to the thread pool.
    /// </summary>
    bool AcceptsInline { get; }

    /// <summary>The next connection, or null once the listener is stopped.</summary>
    ValueTask<AcceptedConnection?> AcceptAsync(CancellationToken cancellationToken);
}
