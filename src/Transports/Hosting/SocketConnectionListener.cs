using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastIo.Transports.Sharding;
using Pipelines.Sockets.Unofficial;

namespace FastIo.Transports.Hosting;

/// <summary>
/// A TCP listener whose connections are Pipelines.Sockets.Unofficial <see cref="SocketConnection"/>s with
/// zero-length reads, so an idle connection holds no receive buffer (see ../shared/docs/performance.md for
/// the measured cost per idle connection).
/// </summary>
internal sealed class SocketConnectionListener : IConnectionListener
{
    private readonly Socket _socket;
    private readonly PipeOptions _pipeOptions;

    private SocketConnectionListener(Socket socket, PipeOptions pipeOptions)
    {
        _socket = socket;
        _pipeOptions = pipeOptions;
        EndPoint = socket.LocalEndPoint!;
    }

    public EndPoint EndPoint { get; }

    /// <summary>
    /// Binds and listens. <see cref="IPAddress.IPv6Any"/> is bound dual-stack, as Node's <c>listen(port)</c> is,
    /// because Node 20 clients resolve <c>localhost</c> to ::1 first.
    /// </summary>
    public static SocketConnectionListener Bind(IPEndPoint endPoint, int backlog, PipeOptions pipeOptions)
    {
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6 && endPoint.Address.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true;
            }

            socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            socket.Bind(endPoint);
            socket.Listen(backlog);
            return new SocketConnectionListener(socket, pipeOptions);
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

            return Wrap(accepted, _pipeOptions);
        }
    }

    /// <summary>
    /// Wraps an accepted socket with zero-length reads (an idle connection holds no receive buffer) and an input
    /// whose reader scheduler follows the shard of the session being served.
    /// </summary>
    internal static SocketAcceptedConnection Wrap(Socket socket, PipeOptions sendOptions)
    {
        socket.NoDelay = true;
        var remote = socket.RemoteEndPoint;
        var scheduler = new ConnectionScheduler();
        var receiveOptions = new PipeOptions(
            sendOptions.Pool, scheduler, sendOptions.WriterScheduler, sendOptions.PauseWriterThreshold, sendOptions.ResumeWriterThreshold,
            sendOptions.MinimumSegmentSize, useSynchronizationContext: false);
        var connection = SocketConnection.Create(socket, sendOptions, receiveOptions, SocketConnectionOptions.ZeroLengthReads);
        return new SocketAcceptedConnection(connection, remote, scheduler);
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
