using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using FastIo.Transports.Hosting;

namespace FastIo.Tests.Hosting;

/// <summary>A real loopback TCP pair: a plain client socket and the accepted side wrapped as a <see cref="SocketAcceptedConnection"/>.</summary>
internal sealed class LoopbackConnection : IAsyncDisposable
{
    private LoopbackConnection(Socket client, SocketAcceptedConnection server)
    {
        Client = client;
        Server = server;
    }

    public Socket Client { get; }

    public SocketAcceptedConnection Server { get; }

    public static async Task<LoopbackConnection> OpenAsync(PipeOptions? input = null)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var accepting = listener.AcceptAsync();
        await client.ConnectAsync(listener.LocalEndPoint!);
        var accepted = await accepting;
        var server = SocketConnectionListener.Wrap(accepted, input ?? new PipeOptions(useSynchronizationContext: false));
        return new LoopbackConnection(client, server);
    }

    /// <summary>Opens many pairs against one listener.</summary>
    public static async Task<LoopbackConnection[]> OpenManyAsync(int count)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(count);
        var pairs = new LoopbackConnection[count];
        var options = new PipeOptions(useSynchronizationContext: false);
        for (int i = 0; i < count; i++)
        {
            var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            var accepting = listener.AcceptAsync();
            await client.ConnectAsync(listener.LocalEndPoint!);
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
