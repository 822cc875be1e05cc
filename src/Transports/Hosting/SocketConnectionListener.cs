using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using FastIo.Transports.Sharding;

namespace FastIo.Transports.Hosting;

/// <summary>
/// A TCP listener whose connections are <see cref="SocketAcceptedConnection"/>s: zero-byte receives, so an idle
/// connection holds no receive buffer (see ../shared/docs/performance.md for the measured cost per idle connection).
/// </summary>
internal sealed class SocketConnectionListener : IConnectionListener
{
    private const int IpProtoTcp = 6;
    private const int TcpDeferAccept = 9; // Linux

    private readonly Socket _socket;
    private readonly PipeOptions _input;

    private SocketConnectionListener(Socket socket, PipeOptions input)
    {
        _socket = socket;
        _input = input;
        EndPoint = socket.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    /// <summary>Binds and listens (see <see cref="Listen"/>).</summary>
    public static SocketConnectionListener Bind(IPEndPoint endPoint, int backlog, PipeOptions input, TimeSpan deferAccept = default) =>
        new(Listen(endPoint, backlog, deferAccept), input);

    /// <summary>Whether accepts complete on a socket engine thread, which may serve the connection in place (inline completions).</summary>
    public bool AcceptsInline => SocketAcceptedConnection.InlineProcessing;

    /// <summary>
    /// A socket bound to <paramref name="endPoint"/> and listening. <see cref="IPAddress.IPv6Any"/> is bound dual-stack,
    /// as Node's <c>listen(port)</c> is, because Node 20 clients resolve <c>localhost</c> to ::1 first. On Linux a
    /// positive <paramref name="deferAccept"/> sets TCP_DEFER_ACCEPT (see <see cref="FastIoHostOptions.DeferAccept"/>).
    /// </summary>
    internal static Socket Listen(IPEndPoint endPoint, int backlog, TimeSpan deferAccept = default)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            if (deferAccept > TimeSpan.Zero && OperatingSystem.IsLinux())
            {
                // Whole seconds, rounded up (the kernel rounds up again, to its SYN-ACK retransmission schedule).
                var seconds = (int)Math.Min(int.MaxValue, Math.Ceiling(deferAccept.TotalSeconds));
                try
                {
                    socket.SetRawSocketOption(IpProtoTcp, TcpDeferAccept, MemoryMarshal.AsBytes(new ReadOnlySpan<int>(in seconds)));
                }
                catch (SocketException)
                {
                    // An optimisation only: a Linux-like kernel without it (emulation layers, sandboxes) still serves.
                }
            }

            socket.Bind(endPoint);
            socket.Listen(backlog);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public async ValueTask<AcceptedConnection?> AcceptAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException ||
                                      e is SocketException { SocketErrorCode: SocketError.OperationAborted })
            {
                return null;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable)
            {
                // Out of file descriptors (EMFILE) or buffers: retrying at once would spin a core; give the open
                // connections a moment to close.
                await Task.Delay(50, cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch (SocketException)
            {
                continue; // e.g. ECONNABORTED: the peer left before accept; keep serving others
            }

            try
            {
                return Wrap(accepted, _input);
            }
            catch (SocketException)
            {
                // Reset between accept and setup (setting the socket options fails): keep serving others.
                accepted.Dispose();
            }
        }
    }

    /// <summary>
    /// Wraps an accepted socket whose input's reads resume on the shard of the session being served (a
    /// <see cref="ConnectionScheduler"/> of its own); the input otherwise takes <paramref name="options"/>' pool and
    /// thresholds (shared by every connection: nothing per connection but the scheduler).
    /// </summary>
    internal static SocketAcceptedConnection Wrap(Socket socket, PipeOptions options) => Wrap(socket, options, new ConnectionScheduler());

    /// <summary>
    /// Wraps an accepted socket and starts its receive loop. The input takes <paramref name="input"/>'s pool, block size
    /// and thresholds; the application's reads resume on <paramref name="scheduler"/>, or on <paramref name="input"/>'s
    /// reader scheduler without one. The output sends on the application's flush and has no options.
    /// </summary>
    internal static SocketAcceptedConnection Wrap(Socket socket, PipeOptions input, ConnectionScheduler? scheduler = null)
    {
        var connection = new SocketAcceptedConnection(socket, input, socket.RemoteEndPoint, scheduler);
        connection.Start();
        return connection;
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
