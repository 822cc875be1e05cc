using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace FastIo.Transports.Hosting.Epoll;

/// <summary>
/// The Linux calls of the epoll socket engine (libc), and their constants. The values are the generic Linux ABI's,
/// the same on x86-64 and arm64, the two architectures the engine runs on (<see cref="EpollLoops.IsSupported"/>).
/// </summary>
internal static unsafe partial class EpollNative
{
    private const string Libc = "libc";

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const int EPOLL_CTL_DEL = 2;
    public const int EPOLL_CTL_MOD = 3;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLET = 1u << 31;

    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int SHUT_WR = 1;
    public const int IPPROTO_TCP = 6;
    public const int TCP_NODELAY = 1;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;

    public const int ENOENT = 2;
    public const int EINTR = 4;
    public const int EBADF = 9;
    public const int EAGAIN = 11;
    public const int ENOMEM = 12;
    public const int ENFILE = 23;
    public const int EMFILE = 24;
    public const int EINVAL = 22;
    public const int EPIPE = 32;
    public const int ENOTSOCK = 88;
    public const int ENETDOWN = 100;
    public const int ENETUNREACH = 101;
    public const int ENETRESET = 102;
    public const int ECONNABORTED = 103;
    public const int ECONNRESET = 104;
    public const int ENOBUFS = 105;
    public const int ENOTCONN = 107;
    public const int ETIMEDOUT = 110;
    public const int EHOSTUNREACH = 113;

    /// <summary>The size of <c>struct epoll_event</c>: packed (12 bytes) on x86-64, naturally aligned (16) elsewhere.</summary>
    public static readonly int EventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    /// <summary>The offset of <c>epoll_event.data</c> (after the 4-byte event mask, padded to 8 off x86-64).</summary>
    public static readonly int EventDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [LibraryImport(Libc, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport(Libc, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, int fd, byte* ev);

    [LibraryImport(Libc, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport(Libc, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(int fd, byte* buffer, nint length, int flags);

    [LibraryImport(Libc, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(int fd, byte* buffer, nint length, int flags);

    [LibraryImport(Libc, EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept(int fd, byte* address, uint* addressLength, int flags);

    [LibraryImport(Libc, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(int fd, int how);

    [LibraryImport(Libc, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, int* value, uint* length);

    [LibraryImport(Libc, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    /// <summary>Registers (<paramref name="op"/> ADD) or re-registers (MOD) <paramref name="fd"/> for <paramref name="events"/>, tagged <paramref name="data"/>.</summary>
    public static int Control(int epfd, int op, int fd, uint events, ulong data)
    {
        var ev = stackalloc byte[16];
        *(uint*)ev = events;
        *(ulong*)(ev + EventDataOffset) = data;
        return EpollCtl(epfd, op, fd, ev);
    }

    /// <summary>Re-registers <paramref name="fd"/> for <paramref name="events"/> (see <see cref="Control"/>).</summary>
    public static int Modify(int epfd, int fd, uint events, ulong data) => Control(epfd, EPOLL_CTL_MOD, fd, events, data);

    /// <summary>The errno of the last failed call on this thread.</summary>
    public static int Errno => Marshal.GetLastPInvokeError();

    /// <summary>
    /// The <see cref="SocketError"/> the managed socket layer reports for <paramref name="errno"/>, for the errors a
    /// connected stream socket gets (the socket layers then treat "peer gone" alike: <see cref="SocketConnection.ToPipeError"/>).
    /// </summary>
    public static SocketError ToSocketError(int errno) => errno switch
    {
        EAGAIN => SocketError.WouldBlock,
        EINTR => SocketError.Interrupted,
        EPIPE => SocketError.Shutdown,
        ECONNRESET => SocketError.ConnectionReset,
        ECONNABORTED => SocketError.ConnectionAborted,
        ENOTCONN => SocketError.NotConnected,
        ETIMEDOUT => SocketError.TimedOut,
        EHOSTUNREACH => SocketError.HostUnreachable,
        ENETRESET => SocketError.NetworkReset,
        ENETDOWN => SocketError.NetworkDown,
        ENETUNREACH => SocketError.NetworkUnreachable,
        ENOBUFS or ENOMEM => SocketError.NoBufferSpaceAvailable,
        EMFILE or ENFILE => SocketError.TooManyOpenSockets,
        _ => SocketError.SocketError,
    };
}
