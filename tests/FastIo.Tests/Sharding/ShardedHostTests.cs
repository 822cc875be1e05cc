using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FastIo.EngineIO;
using FastIo.Transports.Hosting;
using FastIo.Transports.Sharding;
using NUnit.Framework;

namespace FastIo.Tests.Sharding;

/// <summary>
/// A host with four shards on this 2-core machine: sessions spread evenly, every request and frame runs on the shard
/// named in its sid — also when one keep-alive connection carries requests of sessions on every shard — and the
/// per-shard counters are published through System.Diagnostics.Metrics.
/// </summary>
[TestFixture]
[NonParallelizable]
public class ShardedHostTests
{
    private const int Shards = 4;
    private const string Path = "/sharded.io/";
    private RecordingHandler _handler = null!;
    private FastIoHost _host = null!;
    private int _port;

    [SetUp]
    public async Task StartAsync()
    {
        _handler = new RecordingHandler();
        var options = new FastIoHostOptions { Shards = Shards, Engine = { Path = Path } };
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        _host = new FastIoHost(options, _handler);
        await _host.StartAsync();
        _port = ((IPEndPoint)_host.ListeningEndpoints[0]).Port;
    }

    [TearDown]
    public async Task StopAsync() => await _host.DisposeAsync();

    [Test]
    public async Task PollingSessionsSharingOneKeepAliveConnectionAreEachServedByTheirShard()
    {
        // One connection for everything: HttpClient reuses its single keep-alive connection for sequential requests.
        using var http = OneConnectionClient();
        const int Sessions = 40;
        const int Rounds = 3;
        var sids = new List<string>();
        for (var i = 0; i < Sessions; i++)
        {
            sids.Add(await HandshakeAsync(http));
        }

        var perShard = sids.GroupBy(ShardOf).ToDictionary(g => g.Key, g => g.Count());
        Assert.That(perShard, Is.EquivalentTo(Enumerable.Range(0, Shards).ToDictionary(s => s, _ => Sessions / Shards)), "new sessions go to the least-loaded shard");
        Assert.That(_handler.Opens.Select(o => o.Remote).Distinct().Count(), Is.EqualTo(1), "all handshakes came over one connection");

        for (var round = 0; round < Rounds; round++)
        {
            // Interleaved: consecutive requests on the connection belong to sessions of different shards.
            foreach (var sid in sids)
            {
                var post = await http.PostAsync(Url($"&sid={sid}"), new StringContent($"4r{round}-{sid}"));
                Assert.That(await post.Content.ReadAsStringAsync(), Is.EqualTo("ok"));
            }

            foreach (var sid in sids)
            {
                Assert.That(await http.GetStringAsync(Url($"&sid={sid}")), Is.EqualTo($"4r{round}-{sid}"), "the echo");
            }
        }

        Assert.Multiple(() =>
        {
            Assert.That(_handler.Opens.Where(o => o.RanOn != ShardOf(o.Sid)), Is.Empty, "OnOpen off its shard");
            Assert.That(_handler.Messages, Has.Count.EqualTo(Sessions * Rounds));
            Assert.That(_handler.Messages.Where(m => m.RanOn != ShardOf(m.Sid)), Is.Empty, "OnMessage off its shard");
            Assert.That(_handler.Opens.Where(o => o.SessionShard != ShardOf(o.Sid)), Is.Empty, "EngineSession.Shard agrees with the sid");
        });

        var metrics = CollectMetrics();
        for (var shard = 0; shard < Shards; shard++)
        {
            Assert.That(metrics[("fastio.sessions", shard)], Is.EqualTo(Sessions / Shards), $"sessions of shard {shard}");
            Assert.That(metrics[("fastio.messages.received", shard)], Is.EqualTo(Sessions / Shards * Rounds), $"received on shard {shard}");
            Assert.That(metrics[("fastio.messages.sent", shard)], Is.EqualTo(Sessions / Shards * Rounds), $"sent on shard {shard}");
        }
    }

    [Test]
    public async Task UpgradedAndDirectWebSocketsAreServedByTheirSessionsShard()
    {
        using var http = OneConnectionClient();
        var sockets = new List<(ClientWebSocket Ws, string Sid)>();
        try
        {
            for (var i = 0; i < 8; i++)
            {
                // Polling first, then the upgrade (probe, then 5) as engine.io-client does it.
                var sid = await HandshakeAsync(http);
                var ws = new ClientWebSocket();
                await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_port}{Path}?EIO=4&transport=websocket&sid={sid}"), CancellationToken.None);
                await SendAsync(ws, "2probe");
                Assert.That(await ReceiveAsync(ws), Is.EqualTo("3probe"));
                await SendAsync(ws, "5");
                sockets.Add((ws, sid));
            }

            for (var i = 0; i < 8; i++)
            {
                var ws = new ClientWebSocket();
                await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_port}{Path}?EIO=4&transport=websocket"), CancellationToken.None);
                var open = await ReceiveAsync(ws);
                var sid = JsonDocument.Parse(open[1..]).RootElement.GetProperty("sid").GetString()!;
                sockets.Add((ws, sid));
            }

            foreach (var (ws, sid) in sockets)
            {
                for (var n = 0; n < 5; n++)
                {
                    await SendAsync(ws, $"4{n}-{sid}");
                    Assert.That(await ReceiveAsync(ws), Is.EqualTo($"4{n}-{sid}"));
                }
            }

            Assert.That(sockets.Select(s => ShardOf(s.Sid)).Distinct().Count(), Is.EqualTo(Shards), "sessions on every shard");
            Assert.That(_handler.Messages, Has.Count.EqualTo(sockets.Count * 5));
            Assert.That(_handler.Messages.Where(m => m.RanOn != ShardOf(m.Sid)), Is.Empty, "frames processed off their session's shard");
        }
        finally
        {
            foreach (var (ws, _) in sockets)
            {
                ws.Dispose();
            }
        }
    }

    [Test]
    public async Task TheApplicationHearsOfClosedSessionsOnTheirShardWhoeverClosedThem()
    {
        // Short heartbeats on a host of its own: half the sessions close themselves, the other half time out (the
        // timer wheel closes them from its own thread).
        var handler = new RecordingHandler();
        var options = new FastIoHostOptions
        {
            Shards = Shards,
            Engine = { Path = Path, PingInterval = TimeSpan.FromMilliseconds(100), PingTimeout = TimeSpan.FromMilliseconds(100) },
        };
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        await using var host = new FastIoHost(options, handler);
        await host.StartAsync();
        var url = $"http://127.0.0.1:{((IPEndPoint)host.ListeningEndpoints[0]).Port}{Path}?EIO=4&transport=polling";
        using var http = OneConnectionClient();
        var sids = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            var open = await http.GetStringAsync(url);
            sids.Add(JsonDocument.Parse(open[1..]).RootElement.GetProperty("sid").GetString()!);
        }

        for (var i = 0; i < 4; i++)
        {
            await http.PostAsync($"{url}&sid={sids[i]}", new StringContent("1"));
        }

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (handler.Closes.Count < sids.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.That(handler.Closes.Select(c => c.Sid), Is.EquivalentTo(sids));
        Assert.That(handler.Closes.Where(c => c.RanOn != ShardOf(c.Sid)), Is.Empty, "OnClose off its session's shard");
        Assert.That(handler.Closes.Select(c => c.Reason).Distinct(), Is.EquivalentTo(new[] { "transport close", "ping timeout" }));
    }

    private static int ShardOf(string sid)
    {
        Assert.That(EngineSessionId.TryParse(sid, out var shard, out _), Is.True, sid);
        return shard;
    }

    private static HttpClient OneConnectionClient() =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = 1, PooledConnectionLifetime = Timeout.InfiniteTimeSpan });

    private string Url(string query) => $"http://127.0.0.1:{_port}{Path}?EIO=4&transport=polling{query}";

    private async Task<string> HandshakeAsync(HttpClient http)
    {
        var open = await http.GetStringAsync(Url(""));
        Assert.That(open, Does.StartWith("0{"));
        return JsonDocument.Parse(open[1..]).RootElement.GetProperty("sid").GetString()!;
    }

    private static Task SendAsync(ClientWebSocket ws, string text) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    private static async Task<string> ReceiveAsync(ClientWebSocket ws)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[4096];
        var result = await ws.ReceiveAsync(buffer, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }

    /// <summary>One collection of the host's observable instruments, by (instrument, shard).</summary>
    private static Dictionary<(string, int), long> CollectMetrics()
    {
        var values = new Dictionary<(string, int), long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "FastIo")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            int? shard = null;
            string? path = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "fastio.shard")
                {
                    shard = (int)tag.Value!;
                }
                else if (tag.Key == "fastio.path")
                {
                    path = (string?)tag.Value;
                }
            }

            if (path == Path && shard is { } s)
            {
                values[(instrument.Name, s)] = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }

    /// <summary>Echoes messages and records which shard each callback ran on.</summary>
    private sealed class RecordingHandler : IEngineHandler
    {
        public ConcurrentQueue<(string Sid, int RanOn, int SessionShard, string? Remote)> Opens { get; } = new();

        public ConcurrentQueue<(string Sid, int RanOn)> Messages { get; } = new();

        public void OnOpen(EngineSession session) =>
            Opens.Enqueue((session.Id, ShardScheduler.Current?.Index ?? -1, session.Shard, session.Request.RemoteEndPoint?.ToString()));

        public void OnMessage(EngineSession session, ReadOnlySpan<byte> data, bool isBinary)
        {
            Messages.Enqueue((session.Id, ShardScheduler.Current?.Index ?? -1));
            session.SendText(data);
        }

        public ConcurrentQueue<(string Sid, int RanOn, string Reason)> Closes { get; } = new();

        public void OnClose(EngineSession session, string reason) =>
            Closes.Enqueue((session.Id, ShardScheduler.Current?.Index ?? -1, reason));
    }
}
