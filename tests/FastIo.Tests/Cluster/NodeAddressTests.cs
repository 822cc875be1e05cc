using System.Net;
using FastIo.Transports.Cluster;
using NUnit.Framework;

namespace FastIo.Tests.Cluster;

[TestFixture]
public class NodeAddressTests
{
    [TestCase("127.0.0.1:3000", "127.0.0.1", 3000)]
    [TestCase("node-a.internal:8080", "node-a.internal", 8080)]
    [TestCase("[::1]:3001", "::1", 3001)]
    [TestCase("[2001:db8::5]:65535", "2001:db8::5", 65535)]
    public void ParsesHostAndPort(string address, string host, int port)
    {
        Assert.That(NodeAddress.TryParse(address, out var h, out var p), Is.True);
        Assert.That((h, p), Is.EqualTo((host, port)));
    }

    [TestCase("")]
    [TestCase("host")]
    [TestCase(":3000")]
    [TestCase("host:")]
    [TestCase("host:0")]
    [TestCase("host:65536")]
    [TestCase("host:-1")]
    [TestCase("host:30a")]
    public void RefusesAddressesWithoutAUsablePort(string address)
    {
        Assert.That(NodeAddress.TryParse(address, out _, out _), Is.False);
    }

    [Test]
    public void AWildcardListenerIsAdvertisedOnLoopback()
    {
        Assert.Multiple(() =>
        {
            Assert.That(NodeAddress.ForListener(new IPEndPoint(IPAddress.IPv6Any, 3000)), Is.EqualTo("127.0.0.1:3000"));
            Assert.That(NodeAddress.ForListener(new IPEndPoint(IPAddress.Any, 3000)), Is.EqualTo("127.0.0.1:3000"));
            Assert.That(NodeAddress.ForListener(new IPEndPoint(IPAddress.Parse("10.0.0.5"), 3000)), Is.EqualTo("10.0.0.5:3000"));
            Assert.That(NodeAddress.ForListener(new IPEndPoint(IPAddress.IPv6Loopback, 3000)), Is.EqualTo("[::1]:3000"));
        });
    }
}
