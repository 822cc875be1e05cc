using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastIo.EngineIO;
using FastIo.Transports.Sharding;

namespace FastIo.Transports.Hosting;

/// <summary>
/// An accepted socket as a duplex pipe: a receive loop hands what arrives to the input (<see cref="SocketInput"/>); the output
/// (<see cref="SocketOutput"/>) sends what the application flushes, on the flushing thread. This file is the
/// connection's shape and its close; SocketAcceptedConnection.Receive.cs is the receive loop,
/// SocketAcceptedConnection.Send.cs the send side's socket calls.
/// </summary>
/// <remarks>
/// Built to hold little while idle (bench/RESULTS.md, 2026-11-25 "Socket layer"): the object is both the
/// <see cref="AcceptedConnection"/> and the <see cref="IDuplexPipe"/>; an idle connection waits in a zero-byte
/// receive (no buffer rented) and holds no output buffer; sends are tried synchronously on the non-blocking socket
/// first, so a connection never allocates send event args unless the kernel's send buffer was full once. Replaces Pipelines.Sockets.Unofficial's <c>SocketConnection</c>, which held two event-args objects
/// and exposed no "send side finished" signal (closing polled its byte counter every millisecond).
/// </remarks>
[SuppressMessage("Design", "CA1001", Justification = "The receiver is disposed by CloseAsync, the connection's end of life.")]
internal sealed partial class SocketAcceptedConnection : SocketConnection
{
    private readonly Socket _socket;

    /// <param name="socket">A connected stream socket; this connection owns it from now on.</param>
    /// <param name="input">The input's pool, block size and thresholds (see <see cref="SocketConnection"/>).</param>
    /// <param name="remoteEndPoint">The peer, read once at accept.</param>
    /// <param name="scheduler">Where the application's reads resume, retargeted by the host to a shard.</param>
    public SocketAcceptedConnection(Socket socket, PipeOptions input, EndPoint? remoteEndPoint, ConnectionScheduler? scheduler = null)
        : base(input, new PackedEndPoint(remoteEndPoint), scheduler)
    {
        ArgumentNullException.ThrowIfNull(socket);
        _socket = socket;
    }

    /// <summary>
    /// Makes the socket non-blocking for its synchronous calls (every send's first try) and starts the receive loop.
    /// It runs inline up to its first wait, as Kestrel's does: a request that arrived with the connection is read here.
    /// </summary>
    public void Start()
    {
        _socket.NoDelay = true;
        _socket.Blocking = false;
        _receiver = new SocketReceiver(this);
        ReceiveLoop();
    }

    /// <summary>
    /// Waits (bounded) until the output handed the application's last bytes to the kernel and sent the FIN, then
    /// closes the socket, which also ends a receive still waiting for the peer (that completes the input) and a send
    /// still waiting for a peer that does not read.
    /// </summary>
    public override async ValueTask CloseAsync()
    {
        if (await DrainAsync().ConfigureAwait(false) && !_peerFinished)
        {
            await LingerAsync().ConfigureAwait(false);
        }

        _socket.Dispose();
        if (InputSide.TryTakePausedWriter())
        {
            CompleteInput(error: null); // a receive loop held up by an application that stopped reading
        }
        _receiver?.Dispose(); // deferred by the runtime until a pending receive has completed
    }

    /// <summary>
    /// A lingering close (RFC 9112 §9.6): after our FIN the peer may still be sending — a request body we refused with
    /// 413, a pipelined request — and closing the socket now would answer those bytes with a reset, which can destroy our
    /// last response in the peer's receive buffer before it is read. Read and discard until the peer closes too, for at
    /// most <see cref="SocketConnection.LingerTimeout"/>; only connections closed while the peer still had the floor pay for it.
    /// </summary>
    private async Task LingerAsync()
    {
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            using var timeout = new CancellationTokenSource(LingerTimeout);
            while (!_peerFinished && await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token).ConfigureAwait(false) > 0)
            {
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Timed out, reset or closed: nothing more to wait for.
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
