using FastIo.EngineIO;
using NUnit.Framework;

namespace FastIo.Tests.Interop;

/// <summary>socket.io-client 4.8 against FastIo: multiplexed, dynamic and unknown namespaces, namespace middleware.</summary>
[TestFixture]
[NonParallelizable]
public class SocketIONamespaceInteropTests
{
    private SocketIOInteropServer _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _server = await SocketIOInteropServer.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _server.DisposeAsync();

    [Test]
    public async Task NamespacesShareOneSessionDynamicOnesMatchUnknownOnesAreRefused()
    {
        var result = await _server.RunAsync("namespaces");

        var aId = result.GetProperty("aId").GetString()!;
        var bId = result.GetProperty("bId").GetString()!;
        var engineId = result.GetProperty("engineId").GetString();
        Assert.That(aId, Is.Not.EqualTo(bId));
        Assert.That(_server.Sockets[aId].Namespace.Name, Is.EqualTo("/a"));
        Assert.That(_server.Sockets[bId].Namespace.Name, Is.EqualTo("/b"));
        Assert.That(_server.Sockets[aId].Conn.Id, Is.EqualTo(engineId), "one Engine.IO session for both namespaces");
        Assert.That(_server.Sockets[bId].Conn.Id, Is.EqualTo(engineId));
        Assert.That(result.GetProperty("fromA").GetProperty("nsp").GetString(), Is.EqualTo("/a"));
        Assert.That(result.GetProperty("fromB").GetProperty("nsp").GetString(), Is.EqualTo("/b"));
        Assert.That(result.GetProperty("fromB").GetProperty("engineId").GetString(), Is.EqualTo(engineId));
        Assert.That(result.GetProperty("fromDyn").GetProperty("nsp").GetString(), Is.EqualTo("/dyn-12"));
        Assert.That(result.GetProperty("fromDyn").GetProperty("engineId").GetString(), Is.Not.EqualTo(engineId));
        Assert.That(_server.Io.Namespaces, Does.ContainKey("/dyn-12"));
        Assert.That(result.GetProperty("otherError").GetProperty("message").GetString(), Is.EqualTo("Invalid namespace"));
        Assert.That(_server.Io.Namespaces, Does.Not.ContainKey("/other"));
    }

    [Test]
    public async Task MiddlewareRefusesWithMessageAndDataOrAccepts()
    {
        var result = await _server.RunAsync("middleware");

        Assert.That(result.GetProperty("message").GetString(), Is.EqualTo("not authorized"));
        Assert.That(result.GetProperty("data").GetProperty("code").GetInt32(), Is.EqualTo(42));
        Assert.That(result.GetProperty("data").GetProperty("reason").GetString(), Is.EqualTo("bad token"));
        Assert.That(result.GetProperty("whoami").GetProperty("nsp").GetString(), Is.EqualTo("/private"));
        var id = result.GetProperty("whoami").GetProperty("id").GetString()!;
        Assert.That(_server.Sockets[id].Handshake.Auth.GetProperty("token").GetString(), Is.EqualTo("good"));
    }

    [TestCase("websocket")]
    [TestCase("polling")]
    public async Task DisconnectingOneNamespaceLeavesTheOthersOnTheSession(string transport)
    {
        var result = await _server.RunAsync("multiplexDisconnect", transport);

        var ids = result.GetProperty("ids");
        var engineId = result.GetProperty("engineId").GetString();
        Assert.That(await _server.DisconnectReasonAsync(ids.GetProperty("a").GetString()!), Is.EqualTo("client namespace disconnect"));
        Assert.That(result.GetProperty("bAfterA").GetProperty("engineId").GetString(), Is.EqualTo(engineId), "/b still works after /a left");
        Assert.That(result.GetProperty("bReason").GetString(), Is.EqualTo("io server disconnect"));
        Assert.That(await _server.DisconnectReasonAsync(ids.GetProperty("b").GetString()!), Is.EqualTo("server namespace disconnect"));
        Assert.That(result.GetProperty("mainAfterB").GetProperty("engineId").GetString(), Is.EqualTo(engineId), "/ still works after /b was kicked");
        Assert.That(result.GetProperty("mainReason").GetString(), Is.EqualTo("io server disconnect"), "Disconnect(close: true) sends DISCONNECT first");
        var mainId = ids.GetProperty("main").GetString()!;
        Assert.That(await _server.DisconnectReasonAsync(mainId), Is.EqualTo("server namespace disconnect"));
        Assert.That(_server.Sockets[mainId].Conn.State, Is.AnyOf(EngineSessionState.Closing, EngineSessionState.Closed), "close: true ends the Engine.IO session");
    }
}
