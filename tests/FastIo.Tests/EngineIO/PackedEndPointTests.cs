using System.Net;
using System.Net.Sockets;
using FastIo.EngineIO;
using NUnit.Framework;

namespace FastIo.Tests.EngineIO;

public sealed class PackedEndPointTests
{
    private static readonly object[] s_endPoints =
    [
        new IPEndPoint(IPAddress.Parse("127.0.0.7"), 40123),
        new IPEndPoint(IPAddress.Parse("255.254.1.0"), 65535),
        new IPEndPoint(IPAddress.Parse("::ffff:127.0.0.2"), 1),
        new IPEndPoint(IPAddress.Parse("2001:db8::1:2:3"), 443),
        new IPEndPoint(IPAddress.Parse("fe80::1%7"), 8080),
        new IPEndPoint(IPAddress.IPv6Loopback, 0),
    ];

    [TestCaseSource(nameof(s_endPoints))]
    public void An_IP_endpoint_comes_back_equal_with_its_scope(IPEndPoint endPoint)
    {
        var unpacked = (IPEndPoint)new PackedEndPoint(endPoint).ToEndPoint()!;
        Assert.Multiple(() =>
        {
            Assert.That(unpacked, Is.EqualTo(endPoint));
            Assert.That(unpacked.AddressFamily, Is.EqualTo(endPoint.AddressFamily));
            if (endPoint.AddressFamily == AddressFamily.InterNetworkV6)
            {
                Assert.That(unpacked.Address.ScopeId, Is.EqualTo(endPoint.Address.ScopeId));
            }

            Assert.That(unpacked.Address.IsIPv4MappedToIPv6, Is.EqualTo(endPoint.Address.IsIPv4MappedToIPv6));
            Assert.That(unpacked.ToString(), Is.EqualTo(endPoint.ToString()));
        });
    }

    [TestCaseSource(nameof(s_endPoints))]
    public void Address_bytes_as_accept_reports_them_pack_the_same_endpoint(IPEndPoint endPoint)
    {
        var bytes = endPoint.Address.GetAddressBytes();
        var scope = endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? (uint)endPoint.Address.ScopeId : 0;
        Assert.That(new PackedEndPoint(bytes, (ushort)endPoint.Port, scope).ToEndPoint(), Is.EqualTo(endPoint));
    }

    [Test]
    public void Other_endpoints_are_kept_as_they_are_and_null_stays_null()
    {
        var unix = new UnixDomainSocketEndPoint("/tmp/fastio-test.sock");
        Assert.Multiple(() =>
        {
            Assert.That(new PackedEndPoint(unix).ToEndPoint(), Is.SameAs(unix));
            Assert.That(new PackedEndPoint(null).ToEndPoint(), Is.Null);
            Assert.That(default(PackedEndPoint).ToEndPoint(), Is.Null);
        });
    }
}
