using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastIo.Transports.Hosting;
using FastIo.Transports.Hosting.Epoll;

namespace FastIo.Tests.Hosting;

/// <summary>
/// A real loopback TCP pair: a plain client socket and the accepted side, as a <see cref="SocketAcceptedConnection"/>
/// (the runtime's sockets) or an <see cref="EpollConnection"/> (the epoll engine, accepted by its own listener).
/// </summary>
internal sealed class LoopbackConnection : IAsyncDisposable
{
    private LoopbackConnection(Socket client, SocketConnection server)
    {
        Client = client;
        Server = server;
    }

    public Socket Client { get; }

    public SocketConnection Server { get; }

    public static async Task<LoopbackConnection> OpenAsync(SocketEngine engine = SocketEngine.Managed, PipeOptions? input = null) =>
        (await OpenManyAsync(1, engine, input))[0];

    /// <summary>Opens many pairs against one listener.</summary>
    public static async Task<LoopbackConnection[]> OpenManyAsync(int count, SocketEngine engine = SocketEngine.Managed, PipeOptions? input = null)
    {
        var options = input ?? new PipeOptions(useSynchronizationContext: false);
        var pairs = new LoopbackConnection[count];
        if (engine == SocketEngine.Epoll)
        {
            await using var listener = EpollConnectionListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), count, options);
            for (int i = 0; i < count; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await client.ConnectAsync(listener.EndPoint);
                var accepted = await listener.AcceptAsync(CancellationToken.None);
                await Task.Yield(); // off the loop's thread, where a waiting accept completes
                pairs[i] = new LoopbackConnection(client, (EpollConnection)accepted!);
            }

            return pairs;
        }

        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        socket.Listen(count);
        for (int i = 0; i < count; i++)
        {
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            var accepting = socket.AcceptAsync();
            await client.ConnectAsync(socket.LocalEndPoint!);
            pairs[i] = new LoopbackConnection(client, SocketConnectionListener.Wrap(await accepting, options));
        }

        return pairs;
    }

    /// <summary>Reads from the client socket until the server's FIN; returns everything read.</summary>
    public async Task<byte[]> ClientReadToEndAsync()
    {
        using var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        while (true)
        {
            int n = await Client.ReceiveAsync(buffer, SocketFlags.None);
            if (n == 0)
            {
                return received.ToArray();
            }

            received.Write(buffer, 0, n);
        }
    }

    /// <summary>Reads the server's input until the client's FIN; returns everything read.</summary>
    public async Task<byte[]> ServerReadToEndAsync()
    {
        using var received = new MemoryStream();
        var input = Server.Input;
        while (true)
        {
            var result = await input.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                received.Write(segment.Span);
            }

            input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return received.ToArray();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.Input.CompleteAsync();
        await Server.Output.CompleteAsync();
        await Server.CloseAsync();
    }
}
