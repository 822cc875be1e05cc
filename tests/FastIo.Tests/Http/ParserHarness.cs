using System.Buffers;
using FastIo.Transports.Http;

namespace FastIo.Tests.Http;

/// <summary>
/// Drives the head parser and the body readers the way the connection does, but over hand-built
/// (multi-segment) sequences: each fed chunk becomes its own segment behind the unconsumed rest.
/// </summary>
internal sealed class ParserHarness
{
    private readonly HttpServerOptions _options;
    private readonly HttpRequestParser _parser;
    private readonly ChunkedBodyDecoder _chunked = new();
    private readonly RequestBodyBuffer _body = new();
    private List<byte[]> _pending = [];
    private bool _headDone;

    public ParserHarness(HttpServerOptions? options = null)
    {
        _options = options ?? new HttpServerOptions();
        _parser = new HttpRequestParser(_options.MaxRequestHeadersBytes);
        Request.Reset(null);
    }

    public HttpRequest Request { get; } = new();

    public bool Done { get; private set; }

    /// <summary>Unconsumed bytes after the request.</summary>
    public byte[] Leftover
    {
        get
        {
            var all = new List<byte>();
            foreach (var segment in _pending)
            {
                all.AddRange(segment);
            }

            return [.. all];
        }
    }

    public static HttpParseResult ParseAll(byte[] bytes, HttpServerOptions? options = null) => new ParserHarness(options).Feed(bytes);

    public HttpParseResult Feed(byte[] chunk)
    {
        if (chunk.Length > 0)
        {
            _pending.Add(chunk);
        }

        var sequence = TestSequence.Create(_pending);
        var reader = new SequenceReader<byte>(sequence);
        var result = Step(ref reader);
        _pending = TestSequence.Segments(sequence.Slice(reader.Position));
        return result;
    }

    private HttpParseResult Step(ref SequenceReader<byte> reader)
    {
        if (!_headDone)
        {
            var head = _parser.ParseHead(ref reader, Request);
            if (!head.IsComplete)
            {
                return head;
            }

            var framing = HttpRequestParser.ResolveFraming(Request, _options.MaxRequestBodyBytes);
            if (framing.IsError)
            {
                return framing;
            }

            _headDone = true;
            if (Request.IsChunked)
            {
                _chunked.Reset(_options.MaxRequestBodyBytes, _options.MaxRequestHeadersBytes);
                _body.Start(0, long.MaxValue);
            }
            else
            {
                _body.Start(0, Request.ContentLength);
            }
        }

        if (Done)
        {
            return HttpParseResult.Complete;
        }

        if (Request.IsChunked)
        {
            var body = _chunked.Decode(ref reader, _body);
            if (!body.IsComplete)
            {
                return body;
            }
        }
        else
        {
            var take = Math.Min(reader.Remaining, Request.ContentLength - _body.Length);
            _body.Append(reader.UnreadSequence.Slice(0, take));
            reader.Advance(take);
            if (_body.Length < Request.ContentLength)
            {
                return HttpParseResult.Incomplete;
            }
        }

        Request.Body = _body.Detach();
        Done = true;
        return HttpParseResult.Complete;
    }
}
