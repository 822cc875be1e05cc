using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Text;
using FastIo.Transports.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastIo.Tests.Http;

/// <summary>Duplex transport built from two in-memory pipes, with a tiny HTTP client on the other end.</summary>
internal sealed class TestConnection : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    private readonly Pipe _toServer = new();
    private readonly Pipe _toClient = new();

    private TestConnection(IHttpApplication app, HttpServerOptions options, CancellationToken shutdown)
    {
        Run = HttpConnection.RunAsync(
            new TestDuplexPipe(_toServer.Reader, _toClient.Writer),
            new IPEndPoint(IPAddress.Loopback, 12345),
            app,
            options,
            NullLogger.Instance,
            null,
            shutdown).AsTask();
    }

    /// <summary>The server's RunAsync task.</summary>
    public Task<IUpgradedProtocol?> Run { get; }

    public PipeReader ClientInput => _toClient.Reader;

    public PipeWriter ClientOutput => _toServer.Writer;

    public static TestConnection Start(IHttpApplication app, HttpServerOptions? options = null, CancellationToken shutdown = default) =>
        new(app, options ?? new HttpServerOptions(), shutdown);

    public async Task SendAsync(string text) => await SendAsync(Encoding.Latin1.GetBytes(text));

    public async Task SendAsync(byte[] bytes)
    {
        await _toServer.Writer.WriteAsync(bytes);
    }

    public async Task CompleteOutputAsync() => await _toServer.Writer.CompleteAsync();

    /// <summary>Reads one response; null when the server closed the connection before a full response.</summary>
    public async Task<TestResponse?> ReadResponseAsync(bool headRequest = false)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            var result = await ClientInput.ReadAsync(cts.Token);
            var buffer = result.Buffer;
            if (TryParse(ref buffer, headRequest, out var response))
            {
                ClientInput.AdvanceTo(buffer.Start);
                return response;
            }

            ClientInput.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    /// <summary>Reads until the server completes its output; returns what came after the last read response.</summary>
    public async Task<string> ReadToEndAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            var result = await ClientInput.ReadAsync(cts.Token);
            if (result.IsCompleted)
            {
                var text = Encoding.Latin1.GetString(result.Buffer);
                ClientInput.AdvanceTo(result.Buffer.End);
                return text;
            }

            ClientInput.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> raw bytes.</summary>
    public async Task<string> ReadRawAsync(int count)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (true)
        {
            var result = await ClientInput.ReadAsync(cts.Token);
            if (result.Buffer.Length >= count)
            {
                var slice = result.Buffer.Slice(0, count);
                var text = Encoding.Latin1.GetString(slice);
                ClientInput.AdvanceTo(slice.End);
                return text;
            }

            ClientInput.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            if (result.IsCompleted)
            {
                throw new InvalidOperationException("Connection closed early.");
            }
        }
    }

    /// <summary>Waits for RunAsync to finish (it must complete successfully).</summary>
    public async Task WaitClosedAsync() => await Run.WaitAsync(Timeout);

    public async ValueTask DisposeAsync()
    {
        await _toServer.Writer.CompleteAsync();
        await _toClient.Reader.CompleteAsync();
        try
        {
            await Run.WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            // Reported by the test itself where it matters.
        }
    }

    private static bool TryParse(ref ReadOnlySequence<byte> buffer, bool headRequest, out TestResponse? response)
    {
        response = null;
        var text = Encoding.Latin1.GetString(buffer);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            return false;
        }

        var lines = text[..end].Split("\r\n");
        var code = int.Parse(lines[0].AsSpan(9, 3), provider: null);
        var headers = new List<KeyValuePair<string, string>>();
        long contentLength = 0;
        for (var i = 1; i < lines.Length; i++)
        {
            var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            var name = lines[i][..colon];
            var value = lines[i][(colon + 1)..].Trim();
            headers.Add(new(name, value));
            if (string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                contentLength = long.Parse(value, provider: null);
            }
        }

        if (headRequest || code < 200 || code == 204 || code == 304)
        {
            contentLength = 0;
        }

        var total = end + 4 + contentLength;
        if (buffer.Length < total)
        {
            return false;
        }

        var body = Encoding.Latin1.GetString(buffer.Slice(end + 4, contentLength));
        buffer = buffer.Slice(total);
        response = new TestResponse(code, lines[0], headers, body);
        return true;
    }
}
