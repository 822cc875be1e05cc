using System.Diagnostics;
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

    // TCP_DEFER_ACCEPT (FastIoHostOptions.DeferAccept): the kernel hands a connection over only once its client spoke,
    // so the loop is woken once per connect, with the request already there. A silent client that connected first
    // then waits behind one that connected after it but sent; without the option the accept queue is first come, first served.
    [TestCase(true)]
    [TestCase(false)]
    public async Task With_deferred_accepts_a_client_that_spoke_is_accepted_before_an_earlier_silent_one(bool defer)
    {
        await using var listener = EpollConnectionListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 16, s_input, defer ? TimeSpan.FromSeconds(30) : TimeSpan.Zero);
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(listener.EndPoint);
        using var speaking = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await speaking.ConnectAsync(listener.EndPoint);
        await speaking.SendAsync("GET / HTTP/1.1\r\n\r\n"u8.ToArray(), SocketFlags.None);

        var server = (await listener.AcceptAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(10)))!;
        var first = defer ? speaking : silent;

        Assert.That(((IPEndPoint)server.RemoteEndPoint!).Port, Is.EqualTo(((IPEndPoint)first.LocalEndPoint!).Port));
        await server.Transport.Input.CompleteAsync();
        await server.Transport.Output.CompleteAsync();
        await server.CloseAsync();
    }

    // A client that never speaks is still accepted once the deferral is over (the kernel's next SYN-ACK retransmission
    // brings the client's ACK), so a silent peer is not lost, only seen ~1 s later; a kernel that dropped it instead
    // would turn the option into a way to lose connections.
    [Test]
    public async Task With_deferred_accepts_a_silent_client_is_still_accepted_after_the_deferral()
    {
        await using var listener = EpollConnectionListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 16, s_input, TimeSpan.FromSeconds(1));
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await silent.ConnectAsync(listener.EndPoint);

        var server = (await listener.AcceptAsync(CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(15)))!;
        Assert.That(((IPEndPoint)server.RemoteEndPoint!).Port, Is.EqualTo(((IPEndPoint)silent.LocalEndPoint!).Port));
        await server.Transport.Input.CompleteAsync();
        await server.Transport.Output.CompleteAsync();
        await server.CloseAsync();
    }

    [TestCase(-1)]
    [TestCase(31)]
    public void DeferAccept_outside_0_to_30_seconds_is_refused(int seconds) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FastIoHostOptions { DeferAccept = TimeSpan.FromSeconds(seconds) });

    // The peer's end (FIN or reset) completes the waiting read on the loop's thread, as every receive's bytes do, so a
    // closed connection's last steps (the end of its request loop or WebSocket, the session's close, the socket's
    // close) need no thread-pool work item: S2's polling→upgrade connect woke a pool worker ~0.55 times per connect
    // for this, and the worker's spinning cost ~5 sched_yield per connect on the one core (bench/RESULTS.md "s6").
    [TestCase(false)]
    [TestCase(true)]
    public async Task The_peers_end_completes_a_waiting_read_on_the_loop_thread_not_on_the_pool(bool reset)
    {
        await using var listener = EpollConnectionListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 16, s_input);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.EndPoint);
        var server = (EpollConnection)(await listener.AcceptAsync(CancellationToken.None))!;
        var reading = ReadEndAsync(server);
        await Task.Delay(50);
        Assert.That(reading.IsCompleted, Is.False);

        if (reset)
        {
            client.LingerState = new LingerOption(true, 0);
        }

        client.Close();
        var (completed, onPool, thread) = await reading.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.That(completed, Is.True);
        Assert.That(onPool, Is.False, "the read's continuation ran on a thread-pool thread");
        Assert.That(thread, Does.StartWith("fastio-epoll"));
        await server.Input.CompleteAsync();
        await server.Output.CompleteAsync();
        await server.CloseAsync();

        static async Task<(bool Completed, bool OnPool, string? Thread)> ReadEndAsync(SocketConnection connection)
        {
            var result = await connection.Input.ReadAsync().ConfigureAwait(false);
            var current = Thread.CurrentThread;
            connection.Input.AdvanceTo(result.Buffer.End);
            return (result.IsCompleted, current.IsThreadPoolThread, current.Name);
        }
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
    public async Task An_accepted_socket_has_Nagle_off_and_the_IPv4_mapped_peer_address_of_a_dual_stack_listener()
    {
        await using var listener = EpollConnectionListener.Bind(new IPEndPoint(IPAddress.IPv6Any, 0), 16, s_input);
        var port = ((IPEndPoint)listener.EndPoint).Port;
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        var server = (EpollConnection)(await listener.AcceptAsync(CancellationToken.None))!;

        Assert.That(server.NoDelay, Is.True, "TCP_NODELAY, set on the listener, must reach every accepted socket");
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

    // DisposeAsync landing between accept4's EAGAIN and Readiness.TryWait: TryWait once saw Closed and said "wait", so
    // nobody completed the waiter and AcceptAsync never returned (FastIoHost.StopAsync awaits the accept loops: it
    // hung). A race: 10 s of rounds with random offsets (it hung within ~300 rounds before the fix).
    [Test]
    public void Disposing_the_listener_while_an_accept_is_about_to_wait_ends_the_accept()
    {
        var hung = 0;
        var rounds = 0;
        var deadline = Stopwatch.StartNew();
        var random = new Random(1);
        while (deadline.Elapsed < TimeSpan.FromSeconds(10) && hung == 0)
        {
            rounds++;
            var listener = EpollConnectionListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 16, s_input);
            var go = 0;
            var spins = random.Next(0, 3000);
            ValueTask<AcceptedConnection?> accepting = default;
            var a = new Thread(() =>
            {
                while (Volatile.Read(ref go) == 0) { }
                accepting = listener.AcceptAsync(CancellationToken.None);
            });
            var b = new Thread(() =>
            {
                while (Volatile.Read(ref go) == 0) { }
                Thread.SpinWait(spins);
                listener.DisposeAsync().AsTask().GetAwaiter().GetResult();
            });
            a.Start();
            b.Start();
            Volatile.Write(ref go, 1);
            a.Join();
            b.Join();
            if (!accepting.AsTask().Wait(TimeSpan.FromSeconds(2)))
            {
                hung++;
            }
        }

        TestContext.Out.WriteLine($"rounds {rounds}, hung {hung}");
        Assert.That(hung, Is.Zero, $"an accept never ended after the listener was disposed ({rounds} rounds)");
    }

    // `await using` plus an explicit DisposeAsync (as Connections_opened_and_closed_in_waves does) releases the
    // listener's slot twice: two later registrations of the first loop share it (one never hears of its events), and
    // the second EPOLL_CTL_DEL names a descriptor number the kernel may have handed to a new connection meanwhile.
    [Test]
    public async Task Disposing_a_listener_twice_leaves_later_connections_working()
    {
        for (var round = 0; round < 5; round++)
        {
            var first = EpollConnectionListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 16, s_input);
            await first.DisposeAsync();
            await first.DisposeAsync();

            await using var listener = EpollConnectionListener.Bind(new IPEndPoint(IPAddress.Loopback, 0), 256, s_input);
            var clients = new List<Socket>();
            var servers = new List<EpollConnection>();
            for (var i = 0; i < 40; i++)
            {
                var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await client.ConnectAsync(listener.EndPoint);
                clients.Add(client);
                servers.Add((EpollConnection)(await listener.AcceptAsync(CancellationToken.None))!);
            }

            foreach (var client in clients)
            {
                await client.SendAsync(new byte[] { 1, 2, 3 }, SocketFlags.None);
            }

            var stuck = 0;
            foreach (var server in servers)
            {
                var read = server.Input.ReadAsync().AsTask();
                if (await Task.WhenAny(read, Task.Delay(2000)) != read)
                {
                    stuck++;
                    server.Input.CancelPendingRead();
                }

                var result = await read;
                server.Input.AdvanceTo(result.Buffer.End);
            }

            foreach (var server in servers)
            {
                await server.Input.CompleteAsync();
                await server.Output.CompleteAsync();
            }

            foreach (var client in clients)
            {
                client.Dispose();
            }

            foreach (var server in servers)
            {
                await server.CloseAsync();
            }

            Assert.That(stuck, Is.Zero, $"round {round}: {stuck} of {servers.Count} connections never received their bytes");
        }
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
