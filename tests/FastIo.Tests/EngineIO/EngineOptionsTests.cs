using FastIo.EngineIO;
using NUnit.Framework;

namespace FastIo.Tests.EngineIO;

[TestFixture]
public sealed class EngineOptionsTests
{
    // Every request asks it (the handshake's and each later request's transport check): a foreach over the IList boxed
    // its enumerator, one allocation per request.
    [Test]
    public void Checking_a_transport_allocates_nothing()
    {
        var options = new EngineOptions();
        _ = options.IsTransportEnabled("websocket"); // JIT and statics first

        var before = GC.GetAllocatedBytesForCurrentThread();
        var websocket = options.IsTransportEnabled("websocket");
        var polling = options.IsTransportEnabled("polling");
        var unknown = options.IsTransportEnabled("flashsocket");
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That((websocket, polling, unknown), Is.EqualTo((true, true, false)));
        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void Only_the_configured_transports_are_enabled()
    {
        var options = new EngineOptions { Transports = ["websocket"] };

        Assert.That(options.IsTransportEnabled("websocket"), Is.True);
        Assert.That(options.IsTransportEnabled("polling"), Is.False);
        Assert.That(options.IsTransportEnabled("WebSocket"), Is.False, "names are compared ordinally, as engine.io does");
    }
}
