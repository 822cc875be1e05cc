using System.Text;
using FastIo.Transports.Http;
using NUnit.Framework;
using Method = FastIo.Transports.Http.HttpMethod;

namespace FastIo.Tests.Http;

[TestFixture]
public sealed class HttpRequestParserTests
{
    private const string SimpleGet =
        "GET /socket.io/?EIO=4&transport=polling&t=N8hyd6w HTTP/1.1\r\n" +
        "Host: localhost:3000\r\n" +
        "User-Agent: test\r\n" +
        "Accept: */*\r\n" +
        "Connection: keep-alive, Upgrade\r\n" +
        "X-Custom:  spaced value \t\r\n" +
        "\r\n";

    private const string ChunkedPost =
        "POST /socket.io/?EIO=4&transport=polling&sid=abc HTTP/1.1\r\n" +
        "Host: x\r\n" +
        "Transfer-Encoding: chunked\r\n" +
        "\r\n" +
        "5;name=value;flag\r\n" +
        "hello\r\n" +
        "7 ; ext=\"quoted; string\"\r\n" +
        ", world\r\n" +
        "A\r\n" +
        "0123456789\r\n" +
        "0\r\n" +
        "Trailer-One: 1\r\n" +
        "Trailer-Two: two\r\n" +
        "\r\n";

    private static byte[] Bytes(string text) => Encoding.Latin1.GetBytes(text);

    [Test]
    public void SimpleGetWithQuery()
    {
        var harness = new ParserHarness();
        var result = harness.Feed(Bytes(SimpleGet));
        var request = harness.Request;

        Assert.That(result.IsComplete, Is.True, result.ToString());
        Assert.That(request.Method, Is.EqualTo(Method.Get));
        Assert.That(request.MethodText, Is.EqualTo("GET"));
        Assert.That(request.Target, Is.EqualTo("/socket.io/?EIO=4&transport=polling&t=N8hyd6w"));
        Assert.That(request.Path, Is.EqualTo("/socket.io/"));
        Assert.That(request.QueryString, Is.EqualTo("EIO=4&transport=polling&t=N8hyd6w"));
        Assert.That(request.GetQuery("EIO"), Is.EqualTo("4"));
        Assert.That(request.GetQuery("transport"), Is.EqualTo("polling"));
        Assert.That(request.GetQuery("sid"), Is.Null);
        Assert.That(request.Version, Is.EqualTo(11));
        Assert.That(request.KeepAlive, Is.True);
        Assert.That(request.Headers.Count, Is.EqualTo(5));
        Assert.That(request.Headers.Get("host"), Is.EqualTo("localhost:3000"));
        Assert.That(request.Headers.Get("X-CUSTOM"), Is.EqualTo("spaced value"));
        Assert.That(request.Headers.ContainsToken("Connection", "upgrade"), Is.True);
        Assert.That(request.Body.IsEmpty, Is.True);
        Assert.That(harness.Leftover, Is.Empty);
    }

    [TestCase("POST", "Post")]
    [TestCase("HEAD", "Head")]
    [TestCase("PUT", "Put")]
    [TestCase("DELETE", "Delete")]
    [TestCase("OPTIONS", "Options")]
    [TestCase("PATCH", "Patch")]
    [TestCase("PROPFIND", "Other")]
    public void Methods(string text, string expected)
    {
        var harness = new ParserHarness();
        var result = harness.Feed(Bytes(text + " / HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.That(result.IsComplete, Is.True, result.ToString());
        Assert.That(harness.Request.Method, Is.EqualTo(Enum.Parse<Method>(expected)));
        Assert.That(harness.Request.MethodText, Is.EqualTo(text));
    }

    [TestCase("http://example.com/a/b?x=1", "/a/b", "x=1")]
    [TestCase("http://example.com", "/", "")]
    [TestCase("http://example.com?q", "/", "q")]
    [TestCase("/plain", "/plain", "")]
    [TestCase("/?", "/", "")]
    public void TargetForms(string target, string path, string query)
    {
        var harness = new ParserHarness();
        var result = harness.Feed(Bytes("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.That(result.IsComplete, Is.True, result.ToString());
        Assert.That(harness.Request.Target, Is.EqualTo(target));
        Assert.That(harness.Request.Path, Is.EqualTo(path));
        Assert.That(harness.Request.QueryString, Is.EqualTo(query));
    }

    [Test]
    public void AKeepAliveConnectionReusesHeaderValuesThatRepeat()
    {
        // One request object per connection, as HttpConnection uses it: the second request's repeated values are the
        // very same strings, a changed value is new, and nothing of the first request leaks into the second.
        var request = new HttpRequest();
        var parser = new HttpRequestParser(new HttpServerOptions().MaxRequestHeadersBytes);
        ParseInto(parser, request, "GET /a HTTP/1.1\r\nHost: h\r\nUser-Agent: agent/1.0\r\nAccept: */*\r\n\r\n");
        var host = request.Headers.Get("Host");
        var agent = request.Headers.Get("User-Agent");
        ParseInto(parser, request, "GET /b HTTP/1.1\r\nHost: h\r\nUser-Agent: agent/1.0\r\nAccept: text/plain\r\n\r\n");
        Assert.Multiple(() =>
        {
            Assert.That(request.Headers.Get("Host"), Is.SameAs(host));
            Assert.That(request.Headers.Get("User-Agent"), Is.SameAs(agent));
            Assert.That(request.Headers.Get("Accept"), Is.EqualTo("text/plain"));
            Assert.That(request.Headers.Count, Is.EqualTo(3));
        });

        ParseInto(parser, request, "GET /c HTTP/1.1\r\nHost: other\r\n\r\n");
        Assert.That(request.Headers.Get("Host"), Is.EqualTo("other"));
        Assert.That(request.Headers.Get("User-Agent"), Is.Null, "fields of an earlier request are gone");
        Assert.That(request.Headers.Count, Is.EqualTo(1));
    }

    private static void ParseInto(HttpRequestParser parser, HttpRequest request, string text)
    {
        request.Reset(null);
        parser.Reset();
        var buffer = new System.Buffers.ReadOnlySequence<byte>(Bytes(text));
        var reader = new System.Buffers.SequenceReader<byte>(buffer);
        Assert.That(parser.ParseHead(ref reader, request).IsComplete, Is.True);
    }

    [Test]
    public void LeadingEmptyLineIsIgnored()
    {
        var result = ParserHarness.ParseAll(Bytes("\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"));
        Assert.That(result.IsComplete, Is.True, result.ToString());
    }

    [TestCase(SimpleGet)]
    [TestCase(ChunkedPost)]
    public void EverySplitPointInTwoWrites(string text)
    {
        var bytes = Bytes(text);
        var expected = new ParserHarness();
        Assert.That(expected.Feed(bytes).IsComplete, Is.True);

        for (var split = 0; split <= bytes.Length; split++)
        {
            var harness = new ParserHarness();
            var first = harness.Feed(bytes[..split]);
            if (split < bytes.Length)
            {
                Assert.That(first.Status, Is.EqualTo(HttpParseStatus.Incomplete), $"split {split}");
            }

            var second = harness.Feed(bytes[split..]);
            Assert.That(second.IsComplete, Is.True, $"split {split}: {second}");
            AssertSameRequest(harness, expected, $"split {split}");
        }
    }

    [TestCase(SimpleGet)]
    [TestCase(ChunkedPost)]
    public void ByteByByte(string text)
    {
        var bytes = Bytes(text);
        var expected = new ParserHarness();
        Assert.That(expected.Feed(bytes).IsComplete, Is.True);

        var harness = new ParserHarness();
        for (var i = 0; i < bytes.Length; i++)
        {
            var result = harness.Feed([bytes[i]]);
            var expectedStatus = i == bytes.Length - 1 ? HttpParseStatus.Complete : HttpParseStatus.Incomplete;
            Assert.That(result.Status, Is.EqualTo(expectedStatus), $"byte {i}: {result}");
        }

        AssertSameRequest(harness, expected, "byte by byte");
    }

    [TestCase(SimpleGet)]
    [TestCase(ChunkedPost)]
    public void EveryPrefixIsIncomplete(string text)
    {
        var bytes = Bytes(text);
        for (var length = 0; length < bytes.Length; length++)
        {
            var result = ParserHarness.ParseAll(bytes[..length]);
            Assert.That(result.Status, Is.EqualTo(HttpParseStatus.Incomplete), $"prefix {length}: {result}");
        }
    }

    [Test]
    public void PipelinedBytesAreLeftOver()
    {
        var harness = new ParserHarness();
        var result = harness.Feed(Bytes("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\n"));
        Assert.That(result.IsComplete, Is.True);
        Assert.That(Encoding.Latin1.GetString(harness.Leftover), Is.EqualTo("GET /b HTTP/1.1\r\n"));
    }

    [Test]
    public void HeadExactlyAtLimitIsAccepted()
    {
        var head = Bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        var options = new HttpServerOptions { MaxRequestHeadersBytes = head.Length };
        Assert.That(ParserHarness.ParseAll(head, options).IsComplete, Is.True);

        options.MaxRequestHeadersBytes = head.Length - 1;
        Assert.That(ParserHarness.ParseAll(head, options).StatusCode, Is.EqualTo(431));
    }

    [Test]
    public void HeadOverLimitIs431EvenWhenIncomplete()
    {
        var options = new HttpServerOptions { MaxRequestHeadersBytes = 1024 };
        var head = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 2000);
        var result = ParserHarness.ParseAll(Bytes(head), options);
        Assert.That(result.IsError, Is.True);
        Assert.That(result.StatusCode, Is.EqualTo(431));

        // Many small complete lines also count.
        var harness = new ParserHarness(options);
        var builder = new StringBuilder("GET / HTTP/1.1\r\n");
        for (var i = 0; i < 200; i++)
        {
            builder.Append("X-H").Append(i).Append(": v\r\n");
        }

        Assert.That(harness.Feed(Bytes(builder.ToString())).StatusCode, Is.EqualTo(431));
    }

    private static readonly string[] s_badRequests =
    [
        "GET / HTTP/1.1\nHost: x\r\n\r\n",                 // bare LF after request line
        "GET / HTTP/1.1\r\nHost: x\n\r\n",                 // bare LF after header
        "GET / HTTP/1.1\r\nHost: x\r\n\n",                 // bare LF as the empty line
        "GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n",         // bare CR inside a line
        "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",              // double space
        "GET /  HTTP/1.1\r\nHost: x\r\n\r\n",              // double space before version
        " GET / HTTP/1.1\r\nHost: x\r\n\r\n",              // leading space
        "GET / HTTP/1.1 \r\nHost: x\r\n\r\n",              // trailing space
        "GET /\r\nHost: x\r\n\r\n",                        // HTTP/0.9 style
        "GET\r\n\r\n",                                     // method only
        "G(T / HTTP/1.1\r\nHost: x\r\n\r\n",               // invalid method char
        "GET /a b HTTP/1.1\r\nHost: x\r\n\r\n",            // space in target
        "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n",           // control char in target
        "GET /\xe9 HTTP/1.1\r\nHost: x\r\n\r\n",           // non-ASCII in target
        "GET relative HTTP/1.1\r\nHost: x\r\n\r\n",        // not origin/absolute form
        "GET / HTTP/1.x\r\nHost: x\r\n\r\n",               // bad version
        "GET / http/1.1\r\nHost: x\r\n\r\n",               // version is case-sensitive
        "GET / HTTP/11\r\nHost: x\r\n\r\n",                // bad version
        "GET / HTTP/1.1\r\nHost : x\r\n\r\n",              // space before colon
        "GET / HTTP/1.1\r\nHost\t: x\r\n\r\n",             // tab before colon
        "GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n", // obs-fold
        "GET / HTTP/1.1\r\nHost: x\r\n\tfolded\r\n\r\n",   // obs-fold with tab
        "GET / HTTP/1.1\r\nHost: x\r\nNoColon\r\n\r\n",    // missing colon
        "GET / HTTP/1.1\r\nHost: x\r\n: empty-name\r\n\r\n", // empty name
        "GET / HTTP/1.1\r\nHost: x\r\nBad[Name]: v\r\n\r\n", // invalid name char
        "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u0000b\r\n\r\n",  // NUL in value
        "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\u007Fb\r\n\r\n",  // DEL in value
        "GET / HTTP/1.1\r\n\r\n",                          // HTTP/1.1 without Host
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",    // two Host
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1 2\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 2\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\n\r\n",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
    ];

    [TestCaseSource(nameof(s_badRequests))]
    public void MalformedRequestIs400(string text)
    {
        var result = ParserHarness.ParseAll(Bytes(text));
        Assert.That(result.IsError, Is.True, result.ToString());
        Assert.That(result.StatusCode, Is.EqualTo(400), result.Reason);
    }

    [TestCase("GET / HTTP/2.0\r\nHost: x\r\n\r\n")]
    [TestCase("GET / HTTP/1.2\r\nHost: x\r\n\r\n")]
    [TestCase("GET / HTTP/0.9\r\nHost: x\r\n\r\n")]
    public void UnsupportedVersionIs505(string text)
    {
        Assert.That(ParserHarness.ParseAll(Bytes(text)).StatusCode, Is.EqualTo(505));
    }

    [Test]
    public void UnknownTransferCodingIs501()
    {
        var result = ParserHarness.ParseAll(Bytes("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"));
        Assert.That(result.StatusCode, Is.EqualTo(501));
    }

    [Test]
    public void ContentLengthBody()
    {
        var harness = new ParserHarness();
        var result = harness.Feed(Bytes("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello worldEXTRA"));
        Assert.That(result.IsComplete, Is.True, result.ToString());
        Assert.That(Encoding.Latin1.GetString(harness.Request.Body.Span), Is.EqualTo("hello world"));
        Assert.That(Encoding.Latin1.GetString(harness.Leftover), Is.EqualTo("EXTRA"));
    }

    [Test]
    public void IdenticalDuplicateContentLengthsAreAccepted()
    {
        var harness = new ParserHarness();
        var result = harness.Feed(Bytes("POST /p HTTP/1.1\r\nHost: x\r\nContent-Length: 2, 2\r\nContent-Length: 2\r\n\r\nab"));
        Assert.That(result.IsComplete, Is.True, result.ToString());
        Assert.That(harness.Request.Body.Length, Is.EqualTo(2));
    }

    [Test]
    public void ChunkedBodyWithExtensionsAndTrailers()
    {
        var harness = new ParserHarness();
        var result = harness.Feed(Bytes(ChunkedPost + "NEXT"));
        Assert.That(result.IsComplete, Is.True, result.ToString());
        Assert.That(harness.Request.IsChunked, Is.True);
        Assert.That(Encoding.Latin1.GetString(harness.Request.Body.Span), Is.EqualTo("hello, world0123456789"));
        Assert.That(harness.Request.Headers.Contains("Trailer-One"), Is.False, "trailers are not merged into headers");
        Assert.That(Encoding.Latin1.GetString(harness.Leftover), Is.EqualTo("NEXT"));
    }

    [Test]
    public void EmptyChunkedBody()
    {
        var harness = new ParserHarness();
        var result = harness.Feed(Bytes("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n"));
        Assert.That(result.IsComplete, Is.True, result.ToString());
        Assert.That(harness.Request.Body.IsEmpty, Is.True);
    }

    [Test]
    public void ContentLengthOverLimitIs413()
    {
        var options = new HttpServerOptions { MaxRequestBodyBytes = 10 };
        Assert.That(ParserHarness.ParseAll(Bytes("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"), options).IsComplete, Is.True);
        var result = ParserHarness.ParseAll(Bytes("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n"), options);
        Assert.That(result.StatusCode, Is.EqualTo(413));
    }

    [Test]
    public void ChunkedOverLimitIs413()
    {
        var options = new HttpServerOptions { MaxRequestBodyBytes = 10 };
        const string head = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        Assert.That(ParserHarness.ParseAll(Bytes(head + "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n"), options).IsComplete, Is.True);

        // Detected on the size line that would cross the limit, before its data arrives.
        var harness = new ParserHarness(options);
        Assert.That(harness.Feed(Bytes(head + "5\r\n01234\r\n")).Status, Is.EqualTo(HttpParseStatus.Incomplete));
        Assert.That(harness.Feed(Bytes("6\r\n")).StatusCode, Is.EqualTo(413));

        // A huge size (that would overflow a long) is 413 too, not an overflow.
        Assert.That(ParserHarness.ParseAll(Bytes(head + "FFFFFFFFFFFFFFFFFFFFFFFF\r\n"), options).StatusCode, Is.EqualTo(413));
    }

    [Test]
    public void OversizedTrailerIs431()
    {
        var options = new HttpServerOptions { MaxRequestHeadersBytes = 256 };
        var text = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: " + new string('t', 300) + "\r\n\r\n";
        Assert.That(ParserHarness.ParseAll(Bytes(text), options).StatusCode, Is.EqualTo(431));
    }

    private static readonly string[] s_badChunked =
    [
        "x\r\n",                       // not hex
        "\r\n",                        // missing size
        "5\nhello\r\n0\r\n\r\n",       // bare LF after size
        "5\r\nhelloX\r\n0\r\n\r\n",    // data not followed by CRLF
        "5\r\nhello\n0\r\n\r\n",       // data followed by bare LF
        "5 x\r\nhello\r\n0\r\n\r\n",   // junk after size
        "5;a\x01\r\nhello\r\n0\r\n\r\n", // control char in extension
        "-5\r\nhello\r\n0\r\n\r\n",    // sign
        "0\r\nBad Trailer: x\r\n\r\n", // invalid trailer line
        "0\r\n folded\r\n\r\n",        // obs-fold in trailer
        "0\r\nX: y\n\r\n",             // bare LF in trailer
    ];

    [TestCaseSource(nameof(s_badChunked))]
    public void MalformedChunkedIs400(string body)
    {
        var result = ParserHarness.ParseAll(Bytes("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body));
        Assert.That(result.IsError, Is.True, result.ToString());
        Assert.That(result.StatusCode, Is.EqualTo(400), result.Reason);
    }

    [Test]
    public void ChunkSizeLineTooLongIs400()
    {
        var text = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;" + new string('e', ChunkedBodyDecoder.MaxChunkLineBytes + 10);
        Assert.That(ParserHarness.ParseAll(Bytes(text)).StatusCode, Is.EqualTo(400));
    }

    [TestCase("GET / HTTP/1.1\r\nHost: x\r\n\r\n", true)]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", false)]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, Close\r\n\r\n", false)]
    [TestCase("GET / HTTP/1.0\r\n\r\n", false)]
    [TestCase("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true)]
    public void KeepAliveRules(string text, bool keepAlive)
    {
        var harness = new ParserHarness();
        Assert.That(harness.Feed(Bytes(text)).IsComplete, Is.True);
        Assert.That(harness.Request.KeepAlive, Is.EqualTo(keepAlive));
    }

    private static void AssertSameRequest(ParserHarness actual, ParserHarness expected, string message)
    {
        var a = actual.Request;
        var e = expected.Request;
        Assert.That(a.MethodText, Is.EqualTo(e.MethodText), message);
        Assert.That(a.Target, Is.EqualTo(e.Target), message);
        Assert.That(a.Version, Is.EqualTo(e.Version), message);
        Assert.That(a.Headers.Count, Is.EqualTo(e.Headers.Count), message);
        for (var i = 0; i < a.Headers.Count; i++)
        {
            Assert.That(a.Headers[i], Is.EqualTo(e.Headers[i]), message);
        }

        Assert.That(a.Body.ToArray(), Is.EqualTo(e.Body.ToArray()), message);
    }
}
