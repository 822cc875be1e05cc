using System.Net.Sockets;

namespace FastIo.Transports.Hosting;

/// <summary>
/// The event args of one connection's zero-byte receives. Its completion drives the receive loop directly
/// (<see cref="SocketAcceptedConnection.OnReadable"/>), so a waiting connection holds no async state machine, and
/// the socket never creates its own cached event args for receives.
/// </summary>
internal sealed class SocketReceiver : SocketAsyncEventArgs
{
    private readonly SocketAcceptedConnection _connection;

    public SocketReceiver(SocketAcceptedConnection connection)
        : base(unsafeSuppressExecutionContextFlow: true)
    {
        _connection = connection;
        SetBuffer(Memory<byte>.Empty);
    }

    protected override void OnCompleted(SocketAsyncEventArgs e) => _connection.OnReadable();
}
