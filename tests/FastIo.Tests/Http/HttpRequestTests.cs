using FastIo.Transports.Http;
using NUnit.Framework;

namespace FastIo.Tests.Http;

[TestFixture]
public sealed class HttpRequestTests
{
    [TestCase("a=1&b=2", "b", "2")]
    [TestCase("a=1&a=2", "a", "1")]
    [TestCase("a=x+y%20z", "a", "x y z")]
    [TestCase("a=%E2%82%AC", "a", "\u20ac")]
    [TestCase("a=%zz%4", "a", "%zz%4")]
    [TestCase("a=100%", "a", "100%")]
    [TestCase("flag&b=1", "flag", "")]
    [TestCase("a=", "a", "")]
    [TestCase("&&a=1&", "a", "1")]
    [TestCase("my%20key=v", "my key", "v")]
    [TestCase("sid=abc=def", "sid", "abc=def")]
    public void GetQueryDecodes(string query, string name, string expected)
    {
        var request = new HttpRequest { QueryString = query };
        Assert.That(request.GetQuery(name), Is.EqualTo(expected));
    }

    [TestCase("")]
    [TestCase("b=1")]
    [TestCase("ab=1")]
    [TestCase("A=1")]
    public void GetQueryReturnsNullWhenAbsent(string query)
    {
        var request = new HttpRequest { QueryString = query };
        Assert.That(request.GetQuery("a"), Is.Null);
    }

    [Test]
    public void LongValuesAreDecoded()
    {
        var value = new string('x', 1000) + "%41";
        var request = new HttpRequest { QueryString = "v=" + value };
        Assert.That(request.GetQuery("v"), Is.EqualTo(new string('x', 1000) + "A"));
    }

    [Test]
    public void StatusLinesAndReasonPhrases()
    {
        Assert.That(System.Text.Encoding.ASCII.GetString(HttpResponseWriter.GetStatusLine(200)), Is.EqualTo("HTTP/1.1 200 OK\r\n"));
        Assert.That(System.Text.Encoding.ASCII.GetString(HttpResponseWriter.GetStatusLine(599)), Is.EqualTo("HTTP/1.1 599 \r\n"));
        Assert.That(() => HttpResponseWriter.GetStatusLine(42), Throws.InvalidOperationException);
    }
}
