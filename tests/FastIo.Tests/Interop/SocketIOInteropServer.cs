using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FastIo.SocketIO;
using FastIo.Transports.Hosting;
using NUnit.Framework;

namespace FastIo.Tests.Interop;

/// <summary>
/// An in-process FastIo Socket.IO server on a free loopback port with the handlers sio-client.mjs drives, and what
/// the server saw (sockets, disconnect reasons, acknowledgements) for the tests to assert on.
/// </summary>
internal sealed partial class SocketIOInteropServer : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string>> _reasons = new(StringComparer.Ordinal);

    private SocketIOInteropServer(SocketIOServer io, FastIoHost host)
    {
        Io = io;
        Host = host;
    }

    /// <summary>The shard count of the interop servers.</summary>
    public const int InteropShards = 4;

    public SocketIOServer Io { get; }

    public FastIoHost Host { get; }

    /// <summary>The server's address (once started).</summary>
    public string Url => $"http://127.0.0.1:{((IPEndPoint)Host.ListeningEndpoints[0]).Port}";

    /// <summary>Every socket that connected, by id (a recovered socket replaces the entry of its first life).</summary>
    public ConcurrentDictionary<string, Socket> Sockets { get; } = new(StringComparer.Ordinal);

    /// <summary>Each connection in order: socket id, namespace, whether it was recovered.</summary>
    public ConcurrentQueue<(string Id, string Namespace, bool Recovered)> Connections { get; } = new();

    /// <summary>Named observations of handlers (acknowledgements received, timeouts, uploads), by socket id and name.</summary>
    public ConcurrentDictionary<string, object?> Seen { get; } = new(StringComparer.Ordinal);

    public static async Task<SocketIOInteropServer> StartAsync(
        SocketIOServerOptions? ioOptions = null, Action<FastIoHostOptions>? configureHost = null, Action<SocketIOServer>? configureIo = null)
    {
        var io = new SocketIOServer(ioOptions);
        // Four shards on this 2-core machine: every interop behaviour runs with sessions spread over more shards
        // than cores, and a test that needs one (or another count) says so through configureHost.
        var options = new FastIoHostOptions { Shards = InteropShards };
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        configureHost?.Invoke(options);
        var host = new FastIoHost(options, io);
        var server = new SocketIOInteropServer(io, host);
        if (configureIo is null)
        {
            server.Configure();
        }
        else
        {
            configureIo(io);
        }

        await host.StartAsync();
        return server;
    }

    /// <summary>Runs a scenario of sio-client.mjs against this server; its JSON line goes to the test output.</summary>
    public async Task<JsonElement> RunAsync(string scenario, string? argument = null)
    {
        var result = Io.Options.Parser == SocketParser.MsgPack
            ? await NodeScript.RunAsync("sio-client.mjs", scenario, Url, argument ?? "websocket", "msgpack")
            : argument is null
                ? await NodeScript.RunAsync("sio-client.mjs", scenario, Url)
                : await NodeScript.RunAsync("sio-client.mjs", scenario, Url, argument);
        await TestContext.Out.WriteLineAsync(result.GetRawText());
        return result;
    }

    /// <summary>The reason socket <paramref name="id"/> disconnected with on the server, waiting up to 5 s for it.</summary>
    public async Task<string> DisconnectReasonAsync(string id)
    {
        try
        {
            return await ReasonOf(id).Task.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            return "(still connected after 5 s)";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        Io.Dispose();
    }

    private TaskCompletionSource<string> ReasonOf(string id) =>
        _reasons.GetOrAdd(id, static _ => new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously));

    private void Track(Socket socket)
    {
        Sockets[socket.Id] = socket;
        Connections.Enqueue((socket.Id, socket.Namespace.Name, socket.Recovered));
        socket.Disconnected += (s, reason) => ReasonOf(s.Id).TrySetResult(reason);
        socket.On("whoami", m => m.Ack(new
        {
            id = socket.Id,
            nsp = socket.Namespace.Name,
            engineId = socket.Conn.Id,
            transport = socket.Conn.TransportName,
            auth = socket.Handshake.Auth,
            query = socket.Handshake.Query,
            header = socket.Handshake.Header("x-fastio-test"),
        }));
        socket.On("kick-me", _ => socket.Disconnect());
        socket.On("kick-me-hard", _ => socket.Disconnect(close: true));
        socket.On("my-rooms", m => m.Ack(socket.Rooms));
        socket.On("where", m => m.Ack(new { nsp = socket.Namespace.Name, engineId = socket.Conn.Id }));
    }

    /// <summary>The handlers of the main namespace, the namespaces <c>/a</c>, <c>/b</c>, <c>/private</c> and <c>/dyn-N</c>.</summary>
    private void Configure()
    {
        var io = Io;
        io.OnConnection(socket =>
        {
            Track(socket);
            socket.On("echo", m => socket.Emit("echo-back", m.ToArguments()));
            AddAckHandlers(socket);
            AddUpgradeHandlers(socket);
            AddBinaryHandlers(socket);
            socket.On("join", m =>
            {
                socket.Join(m.Get<string>(0)!);
                socket.Emit("joined");
                m.Ack();
            });
            socket.On("news-to", m =>
            {
                io.To(m.Get<string>(0)!).Emit("news", m.Get<string>(1));
                m.Ack();
            });
            socket.On("await-disconnect", async m => m.Ack(await DisconnectReasonAsync(m.Get<string>(0)!)));
            AddRoomHandlers(io, socket);
        });
        io.Of("/a").OnConnection(Track);
        io.Of("/b").OnConnection(Track);
        io.Of(DynamicNamespace()).OnConnection(Track);
        io.Of("/private")
            .Use((socket, _) => socket.Handshake.Auth.TryGetProperty("token", out var token) && token.GetString() == "good"
                ? ValueTask.CompletedTask
                : throw new ConnectionRejectedException("not authorized", new { code = 42, reason = "bad token" }))
            .OnConnection(Track);
    }

    private void AddAckHandlers(Socket socket)
    {
        socket.On("sum", m =>
        {
            var sum = 0;
            for (var i = 0; i < m.Count - 1; i++)
            {
                sum += m.Get<int>(i);
            }

            m.Ack(sum, m.Get<string>(m.Count - 1) + "-back", new { count = m.Count });
        });
        socket.On("ask", async m =>
        {
            var reply = await socket.EmitWithAckAsync("question", [1, "two", new { three = 3 }], TimeSpan.FromSeconds(5));
            Seen[socket.Id + "/question"] = reply.ToString();
            m.Ack(reply.ToJsonArray());
        });
        socket.On("never-acks", _ => { });
        socket.On("ask-timeout", async m =>
        {
            var started = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                await socket.EmitWithAckAsync("ignore-me", [1], TimeSpan.FromMilliseconds(150));
                m.Ack("acknowledged");
            }
            catch (AckTimeoutException e)
            {
                Seen[socket.Id + "/ask-timeout"] = started.Elapsed;
                m.Ack(e.GetType().Name);
            }
        });
    }

    private static void AddUpgradeHandlers(Socket socket)
    {
        var ticks = new List<int>();
        socket.On("tick", m =>
        {
            lock (ticks)
            {
                ticks.Add(m.Get<int>(0));
            }
        });
        socket.On("ticks-seen", m =>
        {
            lock (ticks)
            {
                var inOrder = true;
                for (var i = 0; i < ticks.Count; i++)
                {
                    inOrder &= ticks[i] == i;
                }

                m.Ack(new { count = ticks.Count, inOrder, transport = socket.Conn.TransportName });
            }
        });
        socket.On("stream", async m =>
        {
            var n = m.Get<int>(0);
            for (var i = 0; i < n; i++)
            {
                socket.Emit("n", i);
                if (i % 40 == 0)
                {
                    await Task.Delay(5);
                }
            }

            m.Ack();
        });
    }

    private void AddBinaryHandlers(Socket socket)
    {
        socket.On("send-binary", _ => socket.Emit(
            "binary-event",
            new byte[] { 1, 2, 3 },
            new { nested = new { data = Sequence(256) }, list = new object[] { new byte[] { 9 }, "txt" } }));
        socket.On("upload", m =>
        {
            var first = m.GetBytes(0)!;
            var second = m.Get<Upload>(1)!;
            var list = (JsonArray)((JsonObject)m.ToArguments()[1]!)["list"]!;
            var third = m.Get<ReadOnlyMemory<byte>>(2);
            var seen = new
            {
                first = first.Length,
                firstSum = Sum(first),
                nested = second.Nested.Data.Length,
                nestedSum = Sum(second.Nested.Data),
                listBinary = list[0]!.GetValue<byte[]>(),
                listText = list[1]!.GetValue<string>(),
                third = third.Length,
                thirdSum = Sum(third.Span),
                attachments = m.Attachments.Count,
            };
            Seen[socket.Id + "/upload"] = seen;
            m.Ack(seen);
        });
        socket.On("ack-binary", m => m.Ack(new byte[] { 5, 6, 7 }, new { deep = new[] { new byte[] { 8 } } }));
        socket.On("ask-binary", async m =>
        {
            var reply = await socket.EmitWithAckAsync("give-binary", [], TimeSpan.FromSeconds(5));
            var big = reply.GetBytes(0)!;
            m.Ack(new { len = big.Length, sum = Sum(big), inner = reply.Get<GiveBinaryReply>(1)!.Inner });
        });
    }

    private static void AddRoomHandlers(SocketIOServer io, Socket socket)
    {
        socket.On("join-rooms", m =>
        {
            socket.Join(m.Get<string[]>(0)!);
            m.Ack();
        });
        socket.On("bcast", m =>
        {
            var spec = m.Get<BroadcastSpec>(0)!;
            var op = spec.FromSocket ? socket.Broadcast : io.Except();
            if (spec.To is { Length: > 0 })
            {
                op = op.To(spec.To);
            }

            if (spec.Except is { Length: > 0 })
            {
                op = op.Except(spec.Except);
            }

            if (spec.Volatile)
            {
                op = op.Volatile;
            }

            op.Emit("b", spec.Tag);
            m.Ack();
        });
        socket.On("fence", m =>
        {
            io.Emit("fence", m.Get<int>(0));
            m.Ack();
        });
    }

    internal static byte[] Sequence(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i % 256);
        }

        return bytes;
    }

    private static long Sum(ReadOnlySpan<byte> bytes)
    {
        long sum = 0;
        foreach (var b in bytes)
        {
            sum += b;
        }

        return sum;
    }

    [GeneratedRegex(@"^/dyn-\d+$")]
    private static partial Regex DynamicNamespace();

    private sealed record Upload(UploadNested Nested);

    private sealed record UploadNested(byte[] Data);

    private sealed record GiveBinaryReply(byte[] Inner);

    private sealed record BroadcastSpec(string Tag, string[]? To, string[]? Except, bool FromSocket, bool Volatile);
}
