using FastIo.Transports.Http;
using NUnit.Framework;

namespace FastIo.Tests.Http;

[TestFixture]
public sealed class HttpHeadersTests
{
    [Test]
    public void GetIsCaseInsensitiveAndReturnsFirst()
    {
        var headers = new HttpHeaders();
        headers.Add("X-A", "1");
        headers.Add("x-a", "2");
        Assert.That(headers.Get("X-a"), Is.EqualTo("1"));
        Assert.That(headers.Contains("X-A"), Is.True);
        Assert.That(headers.Contains("X-B"), Is.False);
        Assert.That(headers.Get("X-B"), Is.Null);
        Assert.That(headers.Count, Is.EqualTo(2));
    }

    [TestCase("keep-alive, Upgrade", "upgrade", true)]
    [TestCase("keep-alive,Upgrade", "keep-alive", true)]
    [TestCase(" close ", "close", true)]
    [TestCase("closed", "close", false)]
    [TestCase("Upgrade", "up", false)]
    [TestCase("", "close", false)]
    public void ContainsToken(string value, string token, bool expected)
    {
        var headers = new HttpHeaders();
        headers.Add("Other", token);
        headers.Add("Connection", value);
        Assert.That(headers.ContainsToken("connection", token), Is.EqualTo(expected));
    }

    [Test]
    public void ContainsTokenLooksAtEveryFieldOfThatName()
    {
        var headers = new HttpHeaders();
        headers.Add("Connection", "keep-alive");
        headers.Add("Connection", "Upgrade");
        Assert.That(headers.ContainsToken("Connection", "upgrade"), Is.True);
    }

    [Test]
    public void SetReplacesInPlaceAndRemovesDuplicates()
    {
        var headers = new HttpHeaders();
        headers.Add("A", "1");
        headers.Add("B", "2");
        headers.Add("a", "3");
        headers.Set("A", "x");
        Assert.That(headers.Count, Is.EqualTo(2));
        Assert.That(headers[0], Is.EqualTo(("A", "x")));
        Assert.That(headers[1], Is.EqualTo(("B", "2")));

        headers.Set("C", "y");
        Assert.That(headers[2], Is.EqualTo(("C", "y")));

        headers.Remove("b");
        Assert.That(headers.Count, Is.EqualTo(2));
        var names = new List<string>();
        foreach (var (name, _) in headers)
        {
            names.Add(name);
        }

        Assert.That(names, Is.EqualTo(new List<string> { "A", "C" }));
        headers.Clear();
        Assert.That(headers.Count, Is.Zero);
    }

    [TestCase("Bad Name", "v")]
    [TestCase("", "v")]
    [TestCase("X", "a\r\nInjected: 1")]
    [TestCase("X", "a\nb")]
    [TestCase("X", "a\0b")]
    public void InvalidFieldsAreRejected(string name, string value)
    {
        var headers = new HttpHeaders();
        Assert.That(() => headers.Add(name, value), Throws.ArgumentException);
        Assert.That(() => headers.Set(name, value), Throws.ArgumentException);
        Assert.That(headers.Count, Is.Zero);
    }

    [Test]
    public void IndexerOutOfRangeThrows()
    {
        var headers = new HttpHeaders();
        Assert.That(() => headers[0], Throws.TypeOf<ArgumentOutOfRangeException>());
    }
}
