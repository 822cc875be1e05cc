using FastIo.SocketIO;
using NUnit.Framework;

namespace FastIo.Tests.Interop;

/// <summary>Connection state recovery with socket.io-client 4.8: same id, rooms kept, missed events delivered.</summary>
[TestFixture]
[NonParallelizable]
public class SocketIORecoveryInteropTests
{
    private SocketIOInteropServer _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _server = await SocketIOInteropServer.StartAsync(
        new SocketIOServerOptions { ConnectionStateRecovery = new ConnectionStateRecoveryOptions() });

    [OneTimeTearDown]
    public async Task StopAsync() => await _server.DisposeAsync();

    [TestCase("websocket")]
    [TestCase("polling")]
    [TestCase("websocket-killed")]
    public async Task ClientComesBackWithItsIdAndTheEventsItMissed(string transport)
    {
        var result = await _server.RunAsync("recovery", transport);

        var first = result.GetProperty("first");
        var second = result.GetProperty("second");
        var id = first.GetProperty("id").GetString()!;
        Assert.That(first.GetProperty("pid").GetString(), Is.Not.Null.And.Not.Empty, "the CONNECT reply carries a pid");
        Assert.That(first.GetProperty("recovered").GetBoolean(), Is.False);
        Assert.That(second.GetProperty("id").GetString(), Is.EqualTo(id));
        Assert.That(second.GetProperty("pid").GetString(), Is.EqualTo(first.GetProperty("pid").GetString()));
        Assert.That(second.GetProperty("recovered").GetBoolean(), Is.True);
        var missed = result.GetProperty("missed");
        Assert.That(missed.GetArrayLength(), Is.EqualTo(1), missed.GetRawText());
        Assert.That(missed[0][0].GetString(), Is.EqualTo("while you were away"));
        Assert.That(missed[0].GetArrayLength(), Is.EqualTo(2), "the offset travels as the last argument, as in socket.io");

        Assert.That(await _server.DisconnectReasonAsync(id), Is.EqualTo(DisconnectReasons.TransportClose), "a lost or client-closed transport, as engine.io names it");
        var lives = _server.Connections.Where(c => c.Id == id).ToList();
        Assert.That(lives, Has.Count.EqualTo(2));
        Assert.That(lives[0].Recovered, Is.False);
        Assert.That(lives[1].Recovered, Is.True);
        Assert.That(_server.Sockets[id].Recovered, Is.True);
        Assert.That(result.GetProperty("rooms").EnumerateArray().Select(r => r.GetString()), Is.EquivalentTo(new[] { id, "recovery-room" }),
            "rooms come back with the session");
    }
}
