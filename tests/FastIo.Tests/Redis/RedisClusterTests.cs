using System.Diagnostics;
using FastIo.Adapters.Redis;
using FastIo.SocketIO;
using FastIo.Tests.SocketIO;
using NUnit.Framework;
using StackExchange.Redis;

namespace FastIo.Tests.Redis;

/// <summary>Two in-process FastIo servers on a real redis-server: local vs cluster semantics, malformed traffic, Redis restarts.</summary>
[TestFixture]
[NonParallelizable]
public class RedisClusterTests
{
    [TestCase(false)]
    [TestCase(true)]
    public async Task LocalAndVolatileAndExceptAreHonouredAcrossNodes(bool sharded)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var pair = await Pair.StartAsync(redis, sharded: sharded);
        var sidB = pair.ClientB.ConnectAndGetSid();
        pair.ClientA.ConnectAndGetSid();
        pair.B.Io.MainNamespace.Sockets[sidB].Join("r1");

        pair.A.Io.Local.Emit("local-only");
        pair.A.Io.To("r1").Emit("to-r1");
        pair.A.Io.Except("r1").Emit("except-r1");
        pair.A.Io.Volatile.Emit("volatile");
        pair.ClientB.WaitFor(m => m.Contains("\"volatile\"", StringComparison.Ordinal));
        pair.ClientA.WaitFor(m => m.Contains("\"except-r1\"", StringComparison.Ordinal));
        Assert.That(pair.ClientB.Received.Any(m => m.Contains("to-r1", StringComparison.Ordinal)), Is.True);
        Assert.That(pair.ClientB.Received.Any(m => m.Contains("local-only", StringComparison.Ordinal)), Is.False);
        Assert.That(pair.ClientB.Received.Any(m => m.Contains("except-r1", StringComparison.Ordinal)), Is.False);
        Assert.That(pair.ClientA.Received.Count(m => m.Contains("local-only", StringComparison.Ordinal)), Is.EqualTo(1), "own broadcast not delivered twice");
        Assert.That(pair.ClientA.Received.Count(m => m.Contains("to-r1", StringComparison.Ordinal)), Is.Zero);
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task MalformedAndForeignMessagesAreSkipped(bool sharded)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var pair = await Pair.StartAsync(redis, sharded: sharded);
        pair.ClientB.ConnectAndGetSid();
        await using var raw = await redis.ConnectAsync();
        var pub = raw.GetSubscriber();
        foreach (var (channel, payload) in new (string, byte[])[]
        {
            ("socket.io#/#", "{\"not\":\"msgpack\"}"u8.ToArray()),
            ("socket.io#/#", [0x93, 0xa1]),
            ("socket.io#/#", [0x81, 0xa1, 0x61, 0x01]),
            ("socket.io-request#/#", "not json"u8.ToArray()),
            ("socket.io-request#/#", "{\"type\":7,\"requestId\":\"x\",\"packet\":5}"u8.ToArray()),
            ("socket.io-request#/#", "{\"type\":\"x\"}"u8.ToArray()),
            ("socket.io-response#/#", [0xc1]),
            ("socket.io#/#", "{\"type\":3,\"data\":{\"packet\":7},\"uid\":\"x\",\"nsp\":\"/\"}"u8.ToArray()),
            ("socket.io#/#", "{\"type\":99,\"uid\":\"x\",\"nsp\":\"/\"}"u8.ToArray()),
        })
        {
            await pub.PublishAsync(sharded ? RedisChannel.Sharded(channel) : RedisChannel.Literal(channel), payload);
        }

        pair.A.Io.Emit("still-alive");
        pair.ClientB.WaitFor(m => m.Contains("still-alive", StringComparison.Ordinal));
        var sockets = await pair.B.Io.FetchSocketsAsync();
        Assert.That(sockets, Has.Count.EqualTo(1));
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task RedisRestartDuringTrafficRecoversWithoutRestartingNodes(bool sharded)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var pair = await Pair.StartAsync(redis, TimeSpan.FromMilliseconds(800), sharded);
        pair.ClientA.ConnectAndGetSid();
        pair.ClientB.ConnectAndGetSid();
        pair.A.Io.Emit("before");
        pair.ClientB.WaitFor(m => m.Contains("before", StringComparison.Ordinal));

        await redis.StopAsync();
        await Task.Delay(300);

        // Local delivery never waits on Redis.
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < 100; i++)
        {
            pair.A.Io.Emit("during", i);
        }

        Assert.That(watch.ElapsedMilliseconds, Is.LessThan(500), "publishing blocked while Redis is down");
        pair.ClientA.WaitFor(m => m.Contains("\"during\",99", StringComparison.Ordinal));

        // Requests fail with a clear timeout rather than hanging or crashing.
        var failure = Assert.CatchAsync<TimeoutException>(async () => await pair.A.Io.FetchSocketsAsync());
        Assert.That(failure!.Message, Does.Contain("Redis").Or.Contain("timeout"));

        await redis.RestartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        var n = 0;
        while (!pair.ClientB.Received.Any(m => m.Contains("\"after\"", StringComparison.Ordinal)))
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "no cross-node delivery after Redis came back");
            pair.A.Io.Emit("after", n++);
            await Task.Delay(100);
        }

        Assert.That(await pair.A.Io.MainNamespace.Adapter.ServerCountAsync(), Is.EqualTo(2));
        Assert.That(await pair.B.Io.FetchSocketsAsync(), Has.Count.EqualTo(2));
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task ServerSideEmitAndAckedBroadcastBetweenFastIoNodes(bool sharded)
    {
        await using var redis = await RedisServer.StartAsync();
        await using var pair = await Pair.StartAsync(redis, sharded: sharded);
        var received = new TaskCompletionSource<string>();
        pair.B.Io.MainNamespace.OnServerSideEmit(m =>
        {
            if (m.EventName == "hello")
            {
                received.TrySetResult(m.Get<string>(0)!);
            }
            else if (m.EventName == "question")
            {
                m.Ack(m.Get<int>(0) + 1);
            }
        });
        pair.A.Io.ServerSideEmit("hello", "world");
        Assert.That(await received.Task.WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo("world"));
        var replies = await pair.A.Io.MainNamespace.ServerSideEmitWithAckAsync("question", [41], TimeSpan.FromSeconds(5));
        Assert.That(replies.Select(r => r.Get<int>(0)), Is.EqualTo(new[] { 42 }));

        pair.ClientB.ConnectAndGetSid();
        var ask = pair.A.Io.Timeout(TimeSpan.FromSeconds(5)).EmitWithAckAsync("ask", 1);
        var request = pair.ClientB.WaitFor(m => m.Contains("\"ask\"", StringComparison.Ordinal));
        var id = request[1..request.IndexOf('[', StringComparison.Ordinal)];
        pair.ClientB.Send("3" + id + "[\"answer\"]");
        var acks = await ask;
        Assert.That(acks.Select(a => a.Get<string>(0)), Is.EqualTo(new[] { "answer" }));

        // The .NET emitter reaches the other server's handlers and sockets too (classic only: it only PUBLISHes).
        if (!sharded)
        {
            await using var emitterConnection = await redis.ConnectAsync();
            var emitter = new RedisEmitter(emitterConnection);
            var fromEmitter = new TaskCompletionSource<string>();
            pair.B.Io.MainNamespace.OnServerSideEmit(m =>
            {
                if (m.EventName == "from-emitter")
                {
                    fromEmitter.TrySetResult(m.Get<string>(0)!);
                }
            });
            emitter.ServerSideEmit("from-emitter", "e1");
            Assert.That(await fromEmitter.Task.WaitAsync(TimeSpan.FromSeconds(5)), Is.EqualTo("e1"));
            var sid = pair.B.Io.MainNamespace.Sockets.Keys.Single();
            emitter.In(sid).SocketsJoin("joined-by-emitter");
            await WaitUntilAsync(() => pair.B.Io.MainNamespace.Sockets[sid].Rooms.Contains("joined-by-emitter"));
            emitter.To("joined-by-emitter").Emit("via-emitter", new byte[] { 1, 2 });
            pair.ClientB.WaitFor(m => m.StartsWith("51-[\"via-emitter\"", StringComparison.Ordinal));
            emitter.DisconnectSockets();
            await WaitUntilAsync(() => pair.B.Io.MainNamespace.Sockets.Count == 0);
            return;
        }

        // A client that never answers: the acked broadcast fails at its timeout with the replies so far.
        var silent = pair.A.Io.Timeout(TimeSpan.FromMilliseconds(300)).EmitWithAckAsync("ask", 2);
        Assert.ThrowsAsync<AckTimeoutException>(async () => await silent);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "condition not met in 5 s");
            await Task.Delay(20);
        }
    }

    /// <summary>Two servers on the in-memory transport harness, each with its own Redis connection.</summary>
    private sealed class Pair : IAsyncDisposable
    {
        private readonly ConnectionMultiplexer _ca;
        private readonly ConnectionMultiplexer _cb;

        private Pair(ConnectionMultiplexer ca, ConnectionMultiplexer cb, SocketIOHarness a, SocketIOHarness b)
        {
            _ca = ca;
            _cb = cb;
            A = a;
            B = b;
            ClientA = a.Connect();
            ClientB = b.Connect();
        }

        public SocketIOHarness A { get; }

        public SocketIOHarness B { get; }

        public SocketIOHarness.Client ClientA { get; }

        public SocketIOHarness.Client ClientB { get; }

        public static async Task<Pair> StartAsync(RedisServer redis, TimeSpan? requestsTimeout = null, bool sharded = false)
        {
            var ca = await redis.ConnectAsync();
            var cb = await redis.ConnectAsync();
            var options = new RedisAdapterOptions { RequestsTimeout = requestsTimeout ?? TimeSpan.FromSeconds(5) };
            var a = new SocketIOHarness(o => o.AdapterFactory = sharded ? RedisAdapter.CreateShardedFactory(ca, options) : RedisAdapter.CreateFactory(ca, options));
            var b = new SocketIOHarness(o => o.AdapterFactory = sharded ? RedisAdapter.CreateShardedFactory(cb, options) : RedisAdapter.CreateFactory(cb, options));
            await a.Io.MainNamespace.Adapter.InitAsync();
            await b.Io.MainNamespace.Adapter.InitAsync();
            return new Pair(ca, cb, a, b);
        }

        public async ValueTask DisposeAsync()
        {
            A.Dispose();
            B.Dispose();
            await _ca.DisposeAsync();
            await _cb.DisposeAsync();
        }
    }
}
