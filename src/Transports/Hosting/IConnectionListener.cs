using System.IO.Pipelines;
using System.Net;

namespace FastIo.Transports.Hosting;

/// <summary>
/// The socket seam: accepts connections and exposes each as a duplex pipe. One implementation today
/// (<see cref="SocketConnectionListener"/>, whose connections are <see cref="SocketAcceptedConnection"/>s).
/// </summary>
internal interface IConnectionListener : IAsyncDisposable
{
    /// <summary>The bound address (with the real port when 0 was asked for).</summary>
    EndPoint EndPoint { get; }

    /// <summary>The next connection, or null once the listener is stopped.</summary>
    ValueTask<AcceptedConnection?> AcceptAsync(CancellationToken cancellationToken);
}
