using System.Net;
using System.Net.Sockets;
using System.Text;
using FastIo.Transports.Hosting;
using FastIo.Transports.Hosting.Epoll;
using NUnit.Framework;

namespace FastIo.Tests.Hosting;

/// <summary>
/// What only the epoll engine can get wrong, over real loopback sockets (the behaviour both engines share is in
/// <see cref="SocketAcceptedConnectionTests"/> and <see cref="SocketOutputTests"/>, which run on both).
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class EpollEngineTests
{
    private static readonly System.IO.Pipelines.PipeOptions s_input = new(useSynchronizationContext: false);

    [SetUp]
    public void RequireEpoll()
    {
        if (!EpollLoops.IsSupported)
        {
            Assert.Ignore("The epoll engine runs on Linux x86-64/arm64 only.");
        }
    }

    // Bytes and the FIN that arrive together, before the connection is accepted and registered: one readiness edge
    // announces both, so a receive shorter than its block must not be taken for "drained" (it once was: the input
    // never completed and the connection hung in CLOSE-WAIT).
    [TestCase(10)]
    [TestCase(5000)]
    [TestCase(300_000)]
    public async Task Bytes_and_FIN_sent_before_the_accept_are_all_read_and_the_input_ends(int length)
    {
        await using var listener = EpollConnectionListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 16, s_input);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.EndPoint);
        var data = new byte[length];
        new Random(length).NextBytes(data);
        var sending = client.SendAsync(data, SocketFlags.None).ContinueWith(_ => client.Shutdown(SocketShutdown.Send), TaskScheduler.Default);
        if (length <= 5000)
        {
            await sending; // all of it queued at the server before the accept
            await Task.Delay(50);
        }

        var server = (EpollConnection)(await listener.AcceptAsync(CancellationToken.None))!;
        await Task.Yield();
        var received = await ReadToEndAsync(server).WaitAsync(TimeSpan.FromSeconds(10));
        await sending;

        Assert.That(received, Is.EqualTo(data));
        await server.Output.CompleteAsync();
        await server.CloseAsync();
    }

    [Test]
    public async Task Disposing_the_listener_ends_a_waiting_accept_with_null()
    {
        var listener = EpollConnectionListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 16, s_input);
        var accepting = listener.AcceptAsync(CancellationToken.None).AsTask();
        await Task.Delay(50);
        Assert.That(accepting.IsCompleted, Is.False);

        await listener.DisposeAsync();
        Assert.That(await accepting.WaitAsync(TimeSpan.FromSeconds(5)), Is.Null);
        Assert.That(await listener.AcceptAsync(CancellationToken.None), Is.Null);
    }

    [Test]
    public async Task Cancelling_a_waiting_accept_ends_it_with_null_and_the_listener_still_accepts()
    {
        await using var listener = EpollConnectionListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 16, s_input);
        using var cancel = new CancellationTokenSource();
        var accepting = listener.AcceptAsync(cancel.Token).AsTask();
        await Task.Delay(50);
        await cancel.CancelAsync();
        Assert.That(await accepting.WaitAsync(TimeSpan.FromSeconds(5)), Is.Null);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.EndPoint);
        var server = (EpollConnection)(await listener.AcceptAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5)))!;
        Assert.That(((IPEndPoint)server.RemoteEndPoint!).Port, Is.EqualTo(((IPEndPoint)client.LocalEndPoint!).Port));
        await server.Output.CompleteAsync();
        await server.CloseAsync();
    }

    [Test]
    public async Task The_peer_address_of_a_dual_stack_listener_is_the_IPv4_mapped_client()
    {
        await using var listener = EpollConnectionListener.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), 16, s_input);
        var port = ((IPEndPoint)listener.EndPoint).Port;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        var server = (EpollConnection)(await listener.AcceptAsync(CancellationToken.None))!;

        var remote = (IPEndPoint)server.RemoteEndPoint!;
        Assert.That(remote.Address, Is.EqualTo(IPAddress.Loopback.MapToIPv6()));
        Assert.That(remote.Port, Is.EqualTo(((IPEndPoint)client.LocalEndPoint!).Port));
        await server.Output.CompleteAsync();
        await server.CloseAsync();
    }

    // Descriptor numbers are reused by the kernel at once: connections closing while others open and talk must never
    // see each other's bytes or lose their registration (a late EPOLL_CTL_DEL once removed the next connection's).
    [Test]
    public async Task Connections_opened_and_closed_in_waves_each_get_their_own_bytes()
    {
        await using var listener = EpollConnectionListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 512, s_input);
        var serving = ServeEchoAsync(listener);
        var rounds = new List<Task>();
        for (var worker = 0; worker < 16; worker++)
        {
            var id = worker;
            rounds.Add(Task.Run(async () =>
            {
                for (var round = 0; round < 100; round++)
                {
                    using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    await client.ConnectAsync(listener.EndPoint);
                    var message = Encoding.ASCII.GetBytes($"worker {id} round {round} " + new string('x', (id * 997) + round));
                    await client.SendAsync(message, SocketFlags.None);
                    client.Shutdown(SocketShutdown.Send);
                    var echoed = await ReadToEndAsync(client).WaitAsync(TimeSpan.FromSeconds(10));
                    Assert.That(echoed, Is.EqualTo(message));
                }
            }));
        }

        await Task.WhenAll(rounds).WaitAsync(TimeSpan.FromSeconds(50));
        await listener.DisposeAsync();
        await serving;
    }

    [Test]
    public async Task A_send_waiting_for_room_resumes_when_the_peer_reads_and_ends_when_the_connection_closes()
    {
        await using var listener = EpollConnectionListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 16, s_input);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await client.ConnectAsync(listener.EndPoint);
        var server = (EpollConnection)(await listener.AcceptAsync(CancellationToken.None))!;
        await Task.Yield();

        // First: room comes back when the peer reads (output readiness, watched from the first full buffer on).
        var data = new byte[8 * 1024 * 1024];
        new Random(7).NextBytes(data);
        var flushing = server.Output.WriteAsync(data).AsTask();
        await Task.Delay(100);
        Assert.That(flushing.IsCompleted, Is.False, "8 MB cannot fit into the kernel's buffers of an idle reader");
        var received = new byte[data.Length];
        for (var offset = 0; offset < received.Length;)
        {
            offset += await client.ReceiveAsync(received.AsMemory(offset), SocketFlags.None);
        }

        Assert.That((await flushing).IsCompleted, Is.False);
        Assert.That(received, Is.EqualTo(data));

        // Then: a send waiting for a peer that stopped reading ends when the connection is closed under it.
        var stuck = server.Output.WriteAsync(data).AsTask();
        await Task.Delay(100);
        Assert.That(stuck.IsCompleted, Is.False);
        await server.Input.CompleteAsync();
        var closing = server.CloseAsync().AsTask(); // 2 s drain timeout, then the socket closes under the send
        await closing.WaitAsync(TimeSpan.FromSeconds(20));
        var end = await stuck.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.That(end.IsCompleted || end.IsCanceled, Is.True);
        await server.Output.CompleteAsync();
    }

    private static async Task ServeEchoAsync(EpollConnectionListener listener)
    {
        var connections = new List<Task>();
        while (await listener.AcceptAsync(CancellationToken.None) is EpollConnection connection)
        {
            connections.Add(Task.Run(async () =>
            {
                var bytes = await ReadToEndAsync(connection);
                await connection.Output.WriteAsync(bytes);
                await connection.Output.CompleteAsync();
                await connection.CloseAsync();
            }));
        }

        await Task.WhenAll(connections);
    }

    private static async Task<byte[]> ReadToEndAsync(SocketConnection connection)
    {
        using var received = new MemoryStream();
        while (true)
        {
            var result = await connection.Input.ReadAsync();
            foreach (var segment in result.Buffer)
            {
                received.Write(segment.Span);
            }

            connection.Input.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                await connection.Input.CompleteAsync();
                return received.ToArray();
            }
        }
    }

    private static async Task<byte[]> ReadToEndAsync(Socket client)
    {
        using var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await client.ReceiveAsync(buffer, SocketFlags.None)) > 0)
        {
            received.Write(buffer, 0, n);
        }

        return received.ToArray();
    }
}
