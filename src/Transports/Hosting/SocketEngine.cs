namespace FastIo.Transports.Hosting;

/// <summary>What drives the sockets a <see cref="FastIoHost"/> listens on (<see cref="FastIoHostOptions.SocketEngine"/>).</summary>
public enum SocketEngine
{
    /// <summary>The epoll engine where it runs (Linux on x86-64 or arm64), the runtime's sockets elsewhere.</summary>
    Auto,

    /// <summary>
    /// FastIo's own epoll loops, one per core: edge-triggered readiness, a receive only when bytes are there, and each
    /// connection's processing run inline on its loop's thread. Fewer system calls and less memory per connection
    /// than the runtime's sockets (bench/RESULTS.md, "epoll"). Linux on x86-64 or arm64 only.
    /// </summary>
    Epoll,

    /// <summary>
    /// <see cref="System.Net.Sockets.Socket"/> with zero-byte receives; processing runs inline on the runtime's socket
    /// threads when <c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1</c> is set, on the thread pool otherwise.
    /// </summary>
    Managed,
}
