using System.Text;
using FastIo.EngineIO;
using FastIo.Transports.EngineIO;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace FastIo.Tests.EngineIO;

/// <summary>The long-polling transport over a real <see cref="EngineServer"/>, one GET at a time.</summary>
public class PollingTransportTests
{
    private EngineServer _server = null!;

    [SetUp]
    public void SetUp() => _server = new EngineServer(new EngineOptions { TimeProvider = new FakeTimeProvider() }, new RecordingHandler());

    [TearDown]
    public void TearDown() => _server.Dispose();

    private static async Task<string> PollAsync(PollingTransport transport)
    {
        var poll = transport.BeginPoll();
        Assert.That(poll, Is.Not.Null, "the GET was refused as an overlap");
        var response = await poll!.WaitAsync(TimeSpan.FromSeconds(5));
        return Encoding.UTF8.GetString(response.Body.Span);
    }

    private (EngineSession Session, PollingTransport Transport) Open()
    {
        var transport = new PollingTransport(_server.Timers);
        var session = _server.Handshake(4, transport, new EngineRequestInfo("GET", "/engine.io/?EIO=4&transport=polling", [], null, false), true);
        return (session, transport);
    }

    [Test]
    public async Task AServerCloseDeliversBufferedPacketsBeforeTheClosePacketInItsOwnPayload()
    {
        var (session, transport) = Open();
        Assert.That(await PollAsync(transport), Does.StartWith("0{"));

        // No GET waits: the message is buffered, then the server closes.
        session.SendText("1");
        session.Close();

        // socket.io-client handles a close at once but decoded packets a tick later: a payload "41␞1" would lose the
        // DISCONNECT's reason, so the close comes in the next payload, as engine.io does it.
        Assert.That(await PollAsync(transport), Is.EqualTo("41"));
        Assert.That(session.State, Is.EqualTo(EngineSessionState.Closing));
        Assert.That(await PollAsync(transport), Is.EqualTo("6\u001e1"));
        Assert.That(session.State, Is.EqualTo(EngineSessionState.Closed));
    }

    [Test]
    public async Task AServerCloseWithAGetWaitingSendsTheCloseAtOnce()
    {
        var (session, transport) = Open();
        Assert.That(await PollAsync(transport), Does.StartWith("0{"));
        var waiting = transport.BeginPoll()!;
        session.Close();
        Assert.That(Encoding.UTF8.GetString((await waiting.WaitAsync(TimeSpan.FromSeconds(5))).Body.Span), Is.EqualTo("1"));
        Assert.That(session.State, Is.EqualTo(EngineSessionState.Closed));
    }
}
