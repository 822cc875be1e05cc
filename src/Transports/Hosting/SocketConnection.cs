using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastIo.EngineIO;
using FastIo.Transports.Sharding;

namespace FastIo.Transports.Hosting;

/// <summary>
/// An accepted socket as a duplex pipe, whichever engine drives it (<see cref="SocketAcceptedConnection"/> on the
/// runtime's sockets, <see cref="Epoll.EpollConnection"/> on FastIo's epoll loops): the engine's receive side feeds the
/// input (<see cref="SocketInput"/>); the output (<see cref="SocketOutput"/>) sends what the application flushes, on
/// the flushing thread, through the engine's <see cref="ISocketSender"/> calls.
/// </summary>
internal abstract class SocketConnection : AcceptedConnection, IDuplexPipe, ISocketInputOwner, ISocketSender
{
    /// <summary>How long a closing connection may take to hand its last bytes to the kernel.</summary>
    protected static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(2);

    /// <summary>How long a closing connection keeps reading (and discarding) what a peer still sends after our FIN.</summary>
    protected static readonly TimeSpan LingerTimeout = TimeSpan.FromSeconds(2);

    private readonly ConnectionScheduler? _scheduler;
    private readonly PackedEndPoint _remote;
    private int _inputCompleted;

    /// <param name="input">
    /// The input's pool, block size and backpressure thresholds (shared by a listener's connections); its reader
    /// scheduler is where the application's reads resume unless <paramref name="scheduler"/> is given.
    /// </param>
    /// <param name="remoteEndPoint">The peer, read once at accept.</param>
    /// <param name="scheduler">Where the application's reads resume instead, retargeted by the host to a shard.</param>
    protected SocketConnection(PipeOptions input, in PackedEndPoint remoteEndPoint, ConnectionScheduler? scheduler)
    {
        ArgumentNullException.ThrowIfNull(input);
        InputSide = new SocketInput(this, input, scheduler);
        OutputSide = new SocketOutput(this);
        _remote = remoteEndPoint;
        _scheduler = scheduler;
    }

    public override IDuplexPipe Transport => this;

    /// <summary>The peer, made anew on each call from the bytes the connection keeps (read once per connection, by HTTP).</summary>
    public override EndPoint? RemoteEndPoint => _remote.ToEndPoint();

    public override ConnectionScheduler? Scheduler => _scheduler;

    /// <summary>What the peer sent; completed at the peer's FIN (or a reset, which is an ordinary end too).</summary>
    public PipeReader Input => InputSide;

    /// <summary>What goes to the peer, sent on each flush; complete it to have the rest sent and a FIN follow.</summary>
    public PipeWriter Output => OutputSide;

    /// <summary>Ends when everything the application wrote was handed to the kernel and the FIN sent (or the send side failed).</summary>
    public Task Sending => OutputSide.WhenFinished();

    /// <summary>Whether the input holds a block (none while idle: everything received was consumed).</summary>
    public bool InputHoldsBuffer => InputSide.HoldsBuffer;

    /// <summary>Whether the output holds a buffer (none while idle).</summary>
    public bool OutputHoldsBuffer => OutputSide.HoldsBuffer;

    /// <summary>The input, as the receive side feeds it.</summary>
    protected SocketInput InputSide { get; }

    /// <summary>The output, as the close drains it.</summary>
    protected SocketOutput OutputSide { get; }

    /// <inheritdoc/>
    public abstract int SendNow(ReadOnlySpan<byte> data);

    /// <inheritdoc/>
    public abstract ValueTask<int> SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <inheritdoc/>
    public abstract void ShutdownSend();

    /// <inheritdoc/>
    public abstract void ResumeReceiving();

    /// <summary>
    /// The first part of a close: waits (bounded) until the output handed the application's last bytes to the kernel
    /// and sent the FIN, or gives it up. True when it did, so that a peer still sending should be lingered for (RFC
    /// 9112 §9.6: closing on unread bytes answers with a reset, which can destroy our last response in the peer's
    /// receive buffer before it is read).
    /// </summary>
    protected async ValueTask<bool> DrainAsync()
    {
        var sending = Sending;
        if (!sending.IsCompleted)
        {
            try
            {
                await sending.WaitAsync(DrainTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The peer is not reading (closing the socket aborts the pending send), or the application never
                // completed the output.
                OutputSide.Abandon();
            }
        }

        return OutputSide.FinishedCleanly;
    }

    /// <summary>
    /// Errors that mean "the peer is gone" rather than a fault: the pipes then end normally, so the HTTP layer sees
    /// an ordinary end of input (or a completed flush) instead of an exception to log.
    /// </summary>
    internal static bool IsConnectionGone(SocketError error) => error is SocketError.ConnectionReset
        or SocketError.ConnectionAborted or SocketError.Shutdown or SocketError.OperationAborted
        or SocketError.NotConnected or SocketError.Interrupted or SocketError.Disconnecting
        or SocketError.TimedOut or SocketError.HostUnreachable or SocketError.NetworkReset
        or SocketError.NetworkDown or SocketError.NetworkUnreachable;

    /// <summary>The exception a pipe is completed with: null for a gone peer or a closed socket.</summary>
    internal static Exception? ToPipeError(Exception exception) => exception switch
    {
        ObjectDisposedException => null,
        SocketException socket when IsConnectionGone(socket.SocketErrorCode) => null,
        SocketException socket => new IOException(socket.Message, socket),
        _ => exception,
    };

    /// <summary>
    /// A receive that ended ends the input: the peer's FIN (<see cref="SocketError.Success"/>) or a reset as an ordinary
    /// end for the application, other errors as its error.
    /// </summary>
    protected void CompleteInput(SocketError error) => CompleteInput(error == SocketError.Success || IsConnectionGone(error)
        ? null
        : new IOException($"Receive failed: {error}.", new SocketException((int)error)));

    /// <summary>
    /// Ends the input from the receive side (the peer's FIN or a reset) on the thread that runs the receives, where the
    /// reader's last continuation — the end of the request loop or of the WebSocket, the session's close, the socket's
    /// close — then runs as its shard's batch, as each receive's bytes do (<see cref="ConnectionScheduler.BeginInlineFlush"/>),
    /// instead of waking a thread-pool worker per closed connection (S2's polling→upgrade connect: ~0.55 work items per
    /// connect, each a wake-up and ~10 <c>sched_yield</c> of the worker spinning on the one core).
    /// </summary>
    /// <param name="error">How the receive ended: <see cref="SocketError.Success"/> for the peer's FIN.</param>
    protected void CompleteInputInPlace(SocketError error)
    {
        ConnectionScheduler.BeginInlineFlush();
        try
        {
            CompleteInput(error);
        }
        finally
        {
            ConnectionScheduler.EndInlineFlush();
        }
    }

    /// <summary>Ends the input (once; later calls do nothing): the peer's FIN, a receive error, or the close.</summary>
    protected void CompleteInput(Exception? error)
    {
        if (Interlocked.Exchange(ref _inputCompleted, 1) == 0)
        {
            InputSide.CompleteWriter(error);
        }
    }
}
