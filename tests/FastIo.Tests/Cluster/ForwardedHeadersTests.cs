using System.Net;
using FastIo.Transports.Cluster;
using FastIo.Transports.Http;
using NUnit.Framework;

namespace FastIo.Tests.Cluster;

[TestFixture]
public class ForwardedHeadersTests
{
    private static readonly byte[] s_key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private const string Sid = "AQZBK1TEOyBFZ9QHeLZL";

    [Test]
    public void ASignedAddressIsTrusted()
    {
        var headers = Fields("12", "198.51.100.7:5000", ForwardedHeaders.Sign(s_key, "12", "198.51.100.7:5000", Sid));
        Assert.That(ForwardedHeaders.TrustedClient(headers, s_key, Sid), Is.EqualTo(IPEndPoint.Parse("198.51.100.7:5000")));
    }

    [Test]
    public void AnIPv6AddressRoundTrips()
    {
        var client = ForwardedHeaders.Format(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 443));
        var headers = Fields("1", client, ForwardedHeaders.Sign(s_key, "1", client, null));
        Assert.That(ForwardedHeaders.TrustedClient(headers, s_key, null), Is.EqualTo(new IPEndPoint(IPAddress.Parse("2001:db8::1"), 443)));
    }

    [TestCase("13", "198.51.100.7:5000", Sid, TestName = "another forwarding node")]
    [TestCase("12", "198.51.100.8:5000", Sid, TestName = "another address")]
    [TestCase("12", "198.51.100.7:5000", "BQZBK1TEOyBFZ9QHeLZL", TestName = "another sid")]
    public void AnythingChangedAfterSigningIsNotTrusted(string forwardedBy, string client, string sid)
    {
        var signature = ForwardedHeaders.Sign(s_key, "12", "198.51.100.7:5000", Sid);
        Assert.That(ForwardedHeaders.TrustedClient(Fields(forwardedBy, client, signature), s_key, sid), Is.Null);
    }

    [TestCase("")]
    [TestCase("AAAA")]
    [TestCase("not base64url !")]
    [TestCase("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public void AMalformedOrWrongSignatureIsNotTrusted(string signature)
    {
        Assert.That(ForwardedHeaders.TrustedClient(Fields("12", "198.51.100.7:5000", signature), s_key, Sid), Is.Null);
    }

    [Test]
    public void AnotherKeyOrNoKeyIsNotTrusted()
    {
        var signature = ForwardedHeaders.Sign(s_key, "12", "198.51.100.7:5000", Sid);
        var other = s_key.Select(b => (byte)(b ^ 0xFF)).ToArray();
        Assert.Multiple(() =>
        {
            Assert.That(ForwardedHeaders.TrustedClient(Fields("12", "198.51.100.7:5000", signature), other, Sid), Is.Null);
            Assert.That(ForwardedHeaders.TrustedClient(Fields("12", "198.51.100.7:5000", signature), [], Sid), Is.Null);
        });
    }

    [Test]
    public void MissingFieldsAreNotTrusted()
    {
        var headers = new HttpHeaders();
        headers.Add(ForwardedHeaders.Client, "198.51.100.7:5000");
        Assert.That(ForwardedHeaders.TrustedClient(headers, s_key, Sid), Is.Null);
    }

    [Test]
    public void ASignedButUnreadableAddressIsNotUsed()
    {
        var headers = Fields("12", "unknown", ForwardedHeaders.Sign(s_key, "12", "unknown", Sid));
        Assert.That(ForwardedHeaders.TrustedClient(headers, s_key, Sid), Is.Null);
    }

    [Test]
    public void OwnFieldsAreRecognisedWhateverTheirCase()
    {
        Assert.Multiple(() =>
        {
            Assert.That(ForwardedHeaders.IsOwn("x-fastio-forwarded-by"), Is.True);
            Assert.That(ForwardedHeaders.IsOwn(ForwardedHeaders.Signature), Is.True);
            Assert.That(ForwardedHeaders.IsOwn("X-Forwarded-For"), Is.False);
            Assert.That(ForwardedHeaders.IsOwn("X-FastIo-"), Is.False);
        });
    }

    [Test]
    public void LongInputsAreSignedToo()
    {
        var client = new string('a', 600);
        var headers = Fields("12", client, ForwardedHeaders.Sign(s_key, "12", client, Sid));
        Assert.That(ForwardedHeaders.Sign(s_key, "12", client, Sid), Has.Length.EqualTo(43));
        Assert.That(ForwardedHeaders.TrustedClient(headers, s_key, Sid), Is.Null, "signed, but not an address");
    }

    private static HttpHeaders Fields(string forwardedBy, string client, string signature)
    {
        var headers = new HttpHeaders();
        headers.Add("Host", "node");
        headers.Add(ForwardedHeaders.ForwardedBy, forwardedBy);
        headers.Add(ForwardedHeaders.Client, client);
        headers.Add(ForwardedHeaders.Signature, signature);
        return headers;
    }
}
