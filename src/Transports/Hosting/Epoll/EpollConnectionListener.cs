using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using FastIo.EngineIO;
using FastIo.Transports.Sharding;

namespace FastIo.Transports.Hosting.Epoll;

/// <summary>
/// A TCP listener whose connections are <see cref="EpollConnection"/>s, spread over the process's epoll loops. The
/// listening socket waits on the first loop; a pending accept completes on that loop's thread, so the host's accept
/// loop then serves the new connection there, inline (<see cref="AcceptsInline"/>).
/// </summary>
internal sealed class EpollConnectionListener : IConnectionListener, IEpollHandler
{
    /// <summary>How long to wait before accepting again when the process is out of descriptors or memory.</summary>
    private static readonly TimeSpan s_exhaustedDelay = TimeSpan.FromMilliseconds(50);

    private readonly Socket _socket; // owns the listening descriptor (bound and listening through the runtime)
    private readonly PipeOptions _input;
    private readonly EpollLoop _loop;
    private readonly EpollWaiter _waiter = new();
    private readonly int _slot;
    private Readiness _accepting;
    private int _disposed;

    private EpollConnectionListener(Socket socket, PipeOptions input, EpollLoop loop)
    {
        _socket = socket;
        _input = input;
        _loop = loop;
        EndPoint = socket.LocalEndPoint!;
        _slot = loop.Register((int)socket.Handle, EpollNative.EPOLLIN | EpollNative.EPOLLET, this);
    }

    public EndPoint EndPoint { get; }

    /// <summary>Accepts complete on the loop's thread, which may serve the connection in place.</summary>
    public bool AcceptsInline => true;

    /// <summary>Binds and listens as <see cref="SocketConnectionListener.Bind"/> does (dual-stack on IPv6Any), then waits on the first loop.</summary>
    public static EpollConnectionListener Bind(IPEndPoint endPoint, int backlog, PipeOptions input, TimeSpan deferAccept = default)
    {
        var socket = SocketConnectionListener.Listen(endPoint, backlog, deferAccept);
        try
        {
            socket.Blocking = false;
            socket.NoDelay = true; // inherited by every accepted socket on Linux: no setsockopt per connection
            return new EpollConnectionListener(socket, input, EpollLoops.First);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>The next connection, started on its loop; null once the listener is disposed.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<AcceptedConnection?> AcceptAsync(CancellationToken cancellationToken)
    {
        while (Volatile.Read(ref _disposed) == 0 && !cancellationToken.IsCancellationRequested)
        {
            var connection = TryAccept(out var errno);
            if (connection is not null)
            {
                return connection;
            }

            switch (errno)
            {
                case EpollNative.EAGAIN:
                    _waiter.Reset();
                    if (_accepting.TryWait())
                    {
                        using (cancellationToken.UnsafeRegister(static s => ((EpollConnectionListener)s!).EndWait(), this))
                        {
                            await _waiter.Task.ConfigureAwait(false);
                        }
                    }

                    break;
                case EpollNative.EMFILE or EpollNative.ENFILE or EpollNative.ENOBUFS or EpollNative.ENOMEM:
                    // Out of descriptors or memory: retrying at once would spin a core; give open connections a moment to close.
                    try
                    {
                        await Task.Delay(s_exhaustedDelay, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        return null;
                    }

                    break;
                case -1 or EpollNative.EBADF or EpollNative.EINVAL or EpollNative.ENOTSOCK:
                    return null; // the listening socket is closed (or not listening): retrying would spin
                default:
                    break; // e.g. ECONNABORTED: the peer left before accept; keep serving others
            }
        }

        return null;
    }

    void IEpollHandler.OnEvents(uint events)
    {
        if (_accepting.Signal())
        {
            _waiter.SetResult(true);
        }
    }

    public ValueTask DisposeAsync()
    {
        // Once only: a second EPOLL_CTL_DEL would name a number the kernel may have given to a new connection since
        // (removing its registration), and a second release would hand the slot to two registrations.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return ValueTask.CompletedTask;
        }

        _loop.Unregister((int)_socket.Handle, _slot);
        if (_accepting.Close())
        {
            _waiter.SetResult(false);
        }

        _socket.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>A cancelled accept: end the wait unless an edge ended it first.</summary>
    private void EndWait()
    {
        if (_accepting.TryClaimWaiting())
        {
            _waiter.SetResult(false);
        }
    }

    /// <summary>One <c>accept4</c>: the started connection, or null with the errno (-1: the listener is closed).</summary>
    private unsafe EpollConnection? TryAccept(out int errno)
    {
        var address = stackalloc byte[128]; // sockaddr_storage
        uint length = 128;
        int fd;
        var added = false;
        try
        {
            _socket.SafeHandle.DangerousAddRef(ref added); // the number must not be closed and reused under accept4
            fd = EpollNative.Accept((int)_socket.SafeHandle.DangerousGetHandle(), address, &length, EpollNative.SOCK_NONBLOCK | EpollNative.SOCK_CLOEXEC);
            errno = fd < 0 ? EpollNative.Errno : 0;
        }
        catch (ObjectDisposedException)
        {
            errno = -1;
            return null;
        }
        finally
        {
            if (added)
            {
                _socket.SafeHandle.DangerousRelease();
            }
        }

        if (fd < 0)
        {
            return null;
        }

        var connection = new EpollConnection(fd, _input, ToEndPoint(address, length), new ConnectionScheduler());
        try
        {
            connection.Start(EpollLoops.Next());
        }
        catch (SocketException)
        {
            // The loop could not take it (out of memory): drop this connection, keep serving others.
            connection.Abort();
            errno = EpollNative.ENOMEM;
            return null;
        }

        return connection;
    }

    /// <summary>The peer's address as accept reported it (IPv4 peers of a dual-stack listener come as IPv4-mapped IPv6).</summary>
    private static unsafe PackedEndPoint ToEndPoint(byte* address, uint length)
    {
        var family = *(ushort*)address;
        var port = BinaryPrimitives.ReadUInt16BigEndian(new ReadOnlySpan<byte>(address + 2, 2));
        if (family == EpollNative.AF_INET && length >= 8)
        {
            return new PackedEndPoint(new ReadOnlySpan<byte>(address + 4, 4), port, 0);
        }

        if (family == EpollNative.AF_INET6 && length >= 28)
        {
            return new PackedEndPoint(new ReadOnlySpan<byte>(address + 8, 16), port, *(uint*)(address + 24));
        }

        return default;
    }
}
