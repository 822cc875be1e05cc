using FastIo.SocketIO;
using NUnit.Framework;

namespace FastIo.Tests.Interop;

/// <summary>Disconnect reasons on both sides, with socket.io-client 4.8 and a raw WebSocket client; pings every 300 ms.</summary>
[TestFixture]
[NonParallelizable]
public class SocketIODisconnectInteropTests
{
    private SocketIOInteropServer _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _server = await SocketIOInteropServer.StartAsync(configureHost: options =>
    {
        options.Engine.PingInterval = TimeSpan.FromMilliseconds(300);
        options.Engine.PingTimeout = TimeSpan.FromMilliseconds(200);
    });

    [OneTimeTearDown]
    public async Task StopAsync() => await _server.DisposeAsync();

    [TestCase("websocket")]
    [TestCase("polling")]
    public async Task ClientDisconnectIsClientNamespaceDisconnect(string transport)
    {
        var result = await _server.RunAsync("basic", transport);

        Assert.That(await _server.DisconnectReasonAsync(result.GetProperty("id").GetString()!), Is.EqualTo("client namespace disconnect"));
    }

    [TestCase("websocket")]
    [TestCase("polling")]
    public async Task ServerDisconnectIsIoServerDisconnectOnTheClient(string transport)
    {
        var result = await _server.RunAsync("kicked", transport);

        Assert.That(result.GetProperty("reason").GetString(), Is.EqualTo("io server disconnect"));
        Assert.That(result.GetProperty("active").GetBoolean(), Is.False, "the client does not reconnect after a server disconnect");
        Assert.That(await _server.DisconnectReasonAsync(result.GetProperty("id").GetString()!), Is.EqualTo("server namespace disconnect"));
    }

    [Test]
    public async Task ClientProcessGoneIsTransportClose()
    {
        var result = await _server.RunAsync("vanish");

        Assert.That(await _server.DisconnectReasonAsync(result.GetProperty("id").GetString()!), Is.EqualTo(DisconnectReasons.TransportClose));
    }

    [Test]
    public async Task ClientThatStopsAnsweringPingsIsPingTimeout()
    {
        var result = await _server.RunAsync("silent");

        var id = result.GetProperty("id").GetString()!;
        Assert.That(result.GetProperty("pings").GetInt32(), Is.GreaterThanOrEqualTo(1));
        Assert.That(result.GetProperty("ms").GetInt32(), Is.InRange(400, 3000), "closed after pingInterval + pingTimeout");
        Assert.That(await _server.DisconnectReasonAsync(id), Is.EqualTo(DisconnectReasons.PingTimeout));
    }
}
