using System.Net.Sockets;

namespace FastIo.Transports.Hosting;

/// <summary>The socket calls of the send side; <see cref="SocketOutput"/> decides when to make them.</summary>
internal sealed partial class SocketAcceptedConnection
{
    /// <summary>One non-blocking send; returns how much the kernel took (0 when its buffer is full).</summary>
    public override int SendNow(ReadOnlySpan<byte> data)
    {
        var sent = _socket.Send(data, SocketFlags.None, out var socketError);
        return socketError switch
        {
            SocketError.Success => sent,
            SocketError.WouldBlock => 0,
            _ => throw new SocketException((int)socketError),
        };
    }

    /// <summary>An asynchronous send, for the rest that did not fit into the kernel's send buffer.</summary>
    public override ValueTask<int> SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        _socket.SendAsync(data, SocketFlags.None, cancellationToken);

    /// <summary>The FIN after the last byte, so that the peer reads to the end before the socket is closed.</summary>
    public override void ShutdownSend()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The peer is gone already; closing follows.
        }
    }
}
