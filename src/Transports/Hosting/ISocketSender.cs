namespace FastIo.Transports.Hosting;

/// <summary>The socket calls behind a <see cref="SocketOutput"/>, which decides when to make them.</summary>
internal interface ISocketSender
{
    /// <summary>One non-blocking send; returns how much the kernel took (0 when its buffer is full).</summary>
    int SendNow(ReadOnlySpan<byte> data);

    /// <summary>A send of the rest that did not fit into the kernel's send buffer: completes once some of it was taken.</summary>
    ValueTask<int> SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>The FIN after the last byte, so that the peer reads to the end before the socket is closed.</summary>
    void ShutdownSend();
}
