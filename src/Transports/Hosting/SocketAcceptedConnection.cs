using System.IO.Pipelines;
using System.Net;
using FastIo.Transports.Sharding;
using Pipelines.Sockets.Unofficial;

namespace FastIo.Transports.Hosting;

/// <summary>A Pipelines.Sockets.Unofficial <see cref="SocketConnection"/> as an <see cref="AcceptedConnection"/>.</summary>
internal sealed class SocketAcceptedConnection(SocketConnection connection, EndPoint? remoteEndPoint, ConnectionScheduler scheduler) : AcceptedConnection
{
    /// <summary>How long a closing connection may take to hand its last bytes to the kernel.</summary>
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(2);

    public override IDuplexPipe Transport => connection;

    public override EndPoint? RemoteEndPoint => remoteEndPoint;

    public override ConnectionScheduler? Scheduler => scheduler;

    public override async ValueTask CloseAsync()
    {
        // SocketConnection.Dispose closes the socket at once, dropping bytes its send loop has not sent yet, and
        // it exposes no task for the end of that loop: wait (bounded) until its output pipe is drained.
        var start = Environment.TickCount64;
        while (connection.GetCounters().BytesWaitingToBeSent > 0 &&
               Environment.TickCount64 - start < s_drainTimeout.TotalMilliseconds)
        {
            await Task.Delay(1).ConfigureAwait(false);
        }

        connection.Dispose();
    }
}
