using FastIo.Adapters.Redis;
using FastIo.SocketIO;
using FastIo.Tests.SocketIO;
using Microsoft.Extensions.Logging;
using NUnit.Framework;

namespace FastIo.Tests.Redis;

/// <summary>Acked-broadcast counting across servers, specific response channels, and once-per-transition logging.</summary>
[NonParallelizable]
public class RedisAdapterBehaviourTests
{
    [Test]
    public void AckedBroadcastReportsTheTotalOnlyOnceEveryCountedServerReported()
    {
        var totals = new List<int>();
        var request = new BroadcastAckRequest(totals.Add, _ => { });
        request.AddClientCount(2); // this server
        request.AddClientCount(0); // a server with no matching client still reports
        Assert.That(totals, Is.Empty, "server count unknown yet");
        request.SetServerCount(3);
        Assert.That(totals, Is.Empty, "one server has not reported");
        request.AddClientCount(5);
        request.AddClientCount(1); // a stray extra report changes nothing
        Assert.That(totals, Is.EqualTo(new[] { 7 }));

        var departures = new List<int>();
        var leaving = new BroadcastAckRequest(departures.Add, _ => { });
        leaving.AddClientCount(3);
        leaving.AddClientCount(-1); // a local target left before the hand-over: folded into the sum
        leaving.SetServerCount(1);
        leaving.AddClientCount(-1); // after it: passed on for the gatherer to subtract
        Assert.That(departures, Is.EqualTo(new[] { 2, -1 }));

        var alone = new List<int>();
        var single = new BroadcastAckRequest(alone.Add, _ => { });
        single.SetServerCount(0); // NUMSUB 0 (not subscribed yet) still counts this server
        single.AddClientCount(4);
        Assert.That(alone, Is.EqualTo(new[] { 4 }));
    }

    [Test]
    public async Task RepliesOnSpecificResponseChannelsReachTheRequester()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var ca = await redis.ConnectAsync();
        await using var cb = await redis.ConnectAsync();
        var options = new RedisAdapterOptions { PublishOnSpecificResponseChannel = true };
        using var a = new SocketIOHarness(o => o.AdapterFactory = RedisAdapter.CreateFactory(ca, options));
        using var b = new SocketIOHarness(o => o.AdapterFactory = RedisAdapter.CreateFactory(cb, options));
        await a.Io.MainNamespace.Adapter.InitAsync();
        await b.Io.MainNamespace.Adapter.InitAsync();
        var client = b.Connect();
        var sid = client.ConnectAndGetSid();
        b.Io.MainNamespace.Sockets[sid].Join("far");

        var sockets = await a.Io.FetchSocketsAsync();
        Assert.That(sockets.Select(s => s.Id), Is.EqualTo(new[] { sid }));
        Assert.That(sockets[0].IsLocal, Is.False);
        Assert.That(sockets[0].Rooms, Is.EquivalentTo(new[] { sid, "far" }));
        Assert.That(sockets[0].Handshake!.Url, Does.Contain("EIO=4"));
        Assert.That(await a.Io.MainNamespace.Adapter.AllRoomsAsync(), Is.EquivalentTo(new[] { sid, "far" }));

        var ask = a.Io.Timeout(TimeSpan.FromSeconds(5)).EmitWithAckAsync("q");
        var request = client.WaitFor(m => m.Contains("\"q\"", StringComparison.Ordinal));
        client.Send("3" + request[1..request.IndexOf('[', StringComparison.Ordinal)] + "[{\"n\":1}]");
        var replies = await ask;
        Assert.That(replies.Single().GetJson(0).GetProperty("n").GetInt32(), Is.EqualTo(1));
    }

    [Test]
    public async Task EachConnectionTransitionIsLoggedOnce()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var connection = await redis.ConnectAsync();
        var sink = new Sink();
        using var loggerFactory = LoggerFactory.Create(b => b.AddProvider(sink));
        using var io = new SocketIOServer(new SocketIOServerOptions { AdapterFactory = RedisAdapter.CreateFactory(connection) }, loggerFactory);
        io.Of("/a");
        io.Of("/b"); // three adapters on one connection: still one line per transition
        await io.MainNamespace.Adapter.InitAsync();

        await redis.StopAsync();
        await WaitAsync(() => sink.Count("lost") >= 1);
        await redis.RestartAsync();
        await WaitAsync(() => sink.Count("restored") >= 1);
        await Task.Delay(500);
        Assert.That(sink.Count("lost"), Is.EqualTo(1));
        Assert.That(sink.Count("restored"), Is.EqualTo(1));
    }

    [Test]
    public async Task DisposingAServerUnsubscribesItsAdaptersSoItStopsCountingAsAServer()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var ca = await redis.ConnectAsync();
        await using var cb = await redis.ConnectAsync();
        using var a = new SocketIOServer(new SocketIOServerOptions { AdapterFactory = RedisAdapter.CreateFactory(ca) });
        var b = new SocketIOServer(new SocketIOServerOptions { AdapterFactory = RedisAdapter.CreateFactory(cb) });
        a.Of("/chat");
        b.Of("/chat");
        await a.MainNamespace.Adapter.InitAsync();
        await b.MainNamespace.Adapter.InitAsync();
        await a.Of("/chat").Adapter.InitAsync();
        await b.Of("/chat").Adapter.InitAsync();
        Assert.That(await a.MainNamespace.Adapter.ServerCountAsync(), Is.EqualTo(2));
        Assert.That(await a.Of("/chat").Adapter.ServerCountAsync(), Is.EqualTo(2));

        // cb stays open: only the close of b's adapters (socket.io's io.close()) can take b out of the count.
        await b.DisposeAsync();
        Assert.That(await a.MainNamespace.Adapter.ServerCountAsync(), Is.EqualTo(1));
        Assert.That(await a.Of("/chat").Adapter.ServerCountAsync(), Is.EqualTo(1));
    }

    private static async Task WaitAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            Assert.That(DateTime.UtcNow, Is.LessThan(deadline), "not logged");
            await Task.Delay(50);
        }
    }

    private sealed class Sink : ILoggerProvider, ILogger
    {
        private readonly List<string> _lines = new();

        public int Count(string word)
        {
            lock (_lines)
            {
                return _lines.Count(l => l.Contains("Redis connection", StringComparison.Ordinal) && l.Contains(word, StringComparison.Ordinal));
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_lines)
            {
                _lines.Add(formatter(state, exception));
            }
        }
    }
}
