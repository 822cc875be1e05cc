using System.Net;
using FastIo.EngineIO;
using FastIo.Transports.Hosting;
using NUnit.Framework;

namespace FastIo.Tests.Interop;

/// <summary>The official engine.io-client (6.6 for v4, 3.5 for v3) against an in-process FastIo echo server.</summary>
[TestFixture]
[NonParallelizable]
public class EngineClientInteropTests
{
    private FastIoHost _host = null!;
    private TestEchoHandler _handler = null!;
    private string _url = null!;

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _handler = new TestEchoHandler();
        var options = new FastIoHostOptions
        {
            Shards = SocketIOInteropServer.InteropShards,
            Engine =
            {
                PingInterval = TimeSpan.FromMilliseconds(300),
                PingTimeout = TimeSpan.FromMilliseconds(200),
                AllowEIO3 = true,
            },
        };
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        _host = new FastIoHost(options, _handler);
        await _host.StartAsync();
        _url = $"http://127.0.0.1:{((IPEndPoint)_host.ListeningEndpoints[0]).Port}";
    }

    [OneTimeTearDown]
    public async Task StopAsync() => await _host.DisposeAsync();

    [Test]
    public async Task PollingOnlyEchoesTextBinaryAndOrder()
    {
        var result = await NodeScript.RunAsync("eio-client.mjs", "polling", _url);
        Assert.That(result.GetProperty("transport").GetString(), Is.EqualTo("polling"));
    }

    [Test]
    public async Task WebSocketOnlyEchoesTextBinaryAndOrder()
    {
        var result = await NodeScript.RunAsync("eio-client.mjs", "websocket", _url);
        Assert.That(result.GetProperty("transport").GetString(), Is.EqualTo("websocket"));
    }

    [Test]
    public async Task DefaultClientUpgradesFromPollingToWebSocket()
    {
        var result = await NodeScript.RunAsync("eio-client.mjs", "upgrade", _url);
        Assert.That(result.GetProperty("transport").GetString(), Is.EqualTo("websocket"));
    }

    [TestCase("websocket")]
    [TestCase("polling")]
    public async Task HeartbeatKeepsTheSessionAlive(string transport)
    {
        var result = await NodeScript.RunAsync("eio-client.mjs", "heartbeat", _url, transport);
        Assert.That(result.GetProperty("pings").GetInt32(), Is.GreaterThanOrEqualTo(3), "pingInterval is 300 ms over 1.5 s");
    }

    [TestCase("websocket")]
    [TestCase("polling")]
    public async Task ServerSideCloseReachesTheClient(string transport)
    {
        var result = await NodeScript.RunAsync("eio-client.mjs", "serverClose", _url, transport);
        Assert.That(result.GetProperty("reason").GetString(), Is.EqualTo("transport close"));
    }

    [Test]
    public async Task SixtyConcurrentClientsGetOnlyTheirOwnEchoes()
    {
        var result = await NodeScript.RunAsync("eio-client.mjs", "many", _url);
        Assert.That(result.GetProperty("clients").GetInt32(), Is.EqualTo(60));
    }

    [TestCase("")]
    [TestCase("polling")]
    [TestCase("websocket")]
    public async Task ProtocolV3ClientWorks(string transport)
    {
        var result = transport.Length == 0
            ? await NodeScript.RunAsync("eio-client.mjs", "v3", _url)
            : await NodeScript.RunAsync("eio-client.mjs", "v3", _url, transport);
        Assert.That(result.GetProperty("transport").GetString(), Is.EqualTo(transport.Length == 0 ? "websocket" : transport));
    }

    [Test]
    public async Task SessionsAreGoneAfterClientsClose()
    {
        await NodeScript.RunAsync("eio-client.mjs", "websocket", _url);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (_host.Engine.SessionCount > 0 && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.That(_host.Engine.SessionCount, Is.Zero);
    }

    /// <summary>Echoes every message; "close-me" makes the server close the session instead.</summary>
    private sealed class TestEchoHandler : IEngineHandler
    {
        public void OnOpen(EngineSession session)
        {
        }

        public void OnMessage(EngineSession session, ReadOnlySpan<byte> data, bool isBinary)
        {
            if (!isBinary && data.SequenceEqual("close-me"u8))
            {
                session.Close();
            }
            else if (isBinary)
            {
                session.SendBinary(data);
            }
            else
            {
                session.SendText(data);
            }
        }

        public void OnClose(EngineSession session, string reason)
        {
        }
    }
}
