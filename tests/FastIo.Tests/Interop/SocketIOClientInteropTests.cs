using System.Text.Json;
using FastIo.SocketIO;
using NUnit.Framework;

namespace FastIo.Tests.Interop;

/// <summary>
/// The official socket.io-client 4.8 against FastIo: transports, handshake data, acknowledgements, binary — with the
/// default JSON parser, and again with socket.io-msgpack-parser on both sides.
/// </summary>
[TestFixture(SocketParser.Json)]
[TestFixture(SocketParser.MsgPack)]
[NonParallelizable]
public class SocketIOClientInteropTests(SocketParser parser)
{
    private SocketIOInteropServer _server = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _server = await SocketIOInteropServer.StartAsync(new SocketIOServerOptions { Parser = parser });

    [OneTimeTearDown]
    public async Task StopAsync() => await _server.DisposeAsync();

    [TestCase("default", "websocket")]
    [TestCase("websocket", "websocket")]
    [TestCase("polling", "polling")]
    public async Task ConnectsEmitsReceivesAndDisconnects(string transport, string expectedTransport)
    {
        var result = await _server.RunAsync("basic", transport);

        var id = result.GetProperty("id").GetString()!;
        Assert.That(result.GetProperty("transport").GetString(), Is.EqualTo(expectedTransport));
        Assert.That(result.GetProperty("echo").GetRawText(), Is.EqualTo("""[1,"two",{"three":[true,null]}]"""));
        var whoami = result.GetProperty("whoami");
        Assert.That(whoami.GetProperty("id").GetString(), Is.EqualTo(id));
        Assert.That(whoami.GetProperty("transport").GetString(), Is.EqualTo(expectedTransport), "the server's view of the transport");
        Assert.That(_server.Sockets[id].Conn.Id, Is.EqualTo(whoami.GetProperty("engineId").GetString()));
        Assert.That(await _server.DisconnectReasonAsync(id), Is.EqualTo(DisconnectReasons.ClientNamespaceDisconnect));
    }

    [TestCase("websocket")]
    [TestCase("polling")]
    public async Task AuthQueryAndHeadersReachTheHandshake(string transport)
    {
        var result = await _server.RunAsync("basic", transport);

        var handshake = _server.Sockets[result.GetProperty("id").GetString()!].Handshake;
        Assert.That(handshake.Auth.GetRawText(), Is.EqualTo("""{"token":"abc","n":7}"""));
        Assert.That(handshake.Query, Does.ContainKey("color").WithValue("blue"));
        Assert.That(handshake.Query, Does.ContainKey("x y").WithValue("a&b"));
        Assert.That(handshake.Query, Does.ContainKey("EIO").WithValue("4"));
        Assert.That(handshake.Header("x-fastio-test"), Is.EqualTo("hello"));
        Assert.That(handshake.Address, Is.EqualTo("127.0.0.1"));
        var whoami = result.GetProperty("whoami");
        Assert.That(whoami.GetProperty("auth").GetProperty("token").GetString(), Is.EqualTo("abc"));
        Assert.That(whoami.GetProperty("header").GetString(), Is.EqualTo("hello"));
    }

    [TestCase("websocket")]
    [TestCase("polling")]
    public async Task AcknowledgementsWithSeveralArgumentsAndTimeoutsBothWays(string transport)
    {
        var result = await _server.RunAsync("acks", transport);

        var id = result.GetProperty("id").GetString()!;
        Assert.That(result.GetProperty("sumFirst").GetInt32(), Is.EqualTo(6), "emitWithAck resolves with the first ack argument");
        Assert.That(result.GetProperty("sumAll").GetRawText(), Is.EqualTo("""[6,"x-back",{"count":4}]"""));
        Assert.That(_server.Seen[id + "/question"], Is.EqualTo("""[3,{"three":3},"two",1]"""), "the client's ack as the server got it");
        Assert.That(result.GetProperty("asked").GetRawText(), Is.EqualTo("""[3,{"three":3},"two",1]"""));
        var clientTimeout = result.GetProperty("clientTimeout");
        Assert.That(clientTimeout.ValueKind, Is.EqualTo(JsonValueKind.Object), "the client's emitWithAck must time out");
        Assert.That(clientTimeout.GetProperty("message").GetString(), Is.EqualTo("operation has timed out"));
        Assert.That(clientTimeout.GetProperty("ms").GetInt32(), Is.InRange(90, 2000));
        Assert.That(result.GetProperty("serverTimeout").GetString(), Is.EqualTo(nameof(AckTimeoutException)));
        Assert.That((TimeSpan)_server.Seen[id + "/ask-timeout"]!, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(140)));
    }

    [TestCase("websocket")]
    [TestCase("polling")]
    public async Task BinaryBothWaysTopLevelNestedAndInAcks(string transport)
    {
        var result = await _server.RunAsync("binary", transport);

        Assert.That(result.GetProperty("binaryEvent").GetRawText(), Is.EqualTo(
            """[{"bin":[1,2,3]},{"nested":{"data":{"len":256,"sum":32640}},"list":[{"bin":[9]},"txt"]}]"""));
        Assert.That(result.GetProperty("upload").GetRawText(), Is.EqualTo(
            """{"first":4,"firstSum":10,"nested":256,"nestedSum":32640,"listBinary":{"bin":[9]},"listText":"txt","third":70000,"thirdSum":210000,"attachments":4}"""));
        Assert.That(result.GetProperty("echo").GetRawText(), Is.EqualTo(
            """[{"bin":[1,2]},{"a":[{"bin":[3]},{"b":{"bin":[4,5]}}]},"plain"]"""), "binary echoed back at every depth");
        Assert.That(result.GetProperty("ackBinary").GetRawText(), Is.EqualTo("""[{"bin":[5,6,7]},{"deep":[{"bin":[8]}]}]"""));
        long sum = 0;
        for (var i = 0; i < 300; i++)
        {
            sum += i * 7 % 256;
        }

        Assert.That(result.GetProperty("asked").GetRawText(), Is.EqualTo($$$"""{"len":300,"sum":{{{sum}}},"inner":{"bin":[100,101,102]}}"""));
    }

    [Test]
    public async Task TrafficBothWaysSurvivesTheUpgradeInOrder()
    {
        var result = await _server.RunAsync("upgradeBurst");

        Assert.That(result.GetProperty("startedOn").GetString(), Is.EqualTo("polling"));
        Assert.That(result.GetProperty("received").GetInt32(), Is.EqualTo(400));
        Assert.That(result.GetProperty("inOrder").GetBoolean(), Is.True, "server-to-client order across the upgrade");
        var ticks = result.GetProperty("ticks");
        Assert.That(ticks.GetProperty("count").GetInt32(), Is.EqualTo(300));
        Assert.That(ticks.GetProperty("inOrder").GetBoolean(), Is.True, "client-to-server order across the upgrade");
        Assert.That(ticks.GetProperty("transport").GetString(), Is.EqualTo("websocket"));
    }
}
