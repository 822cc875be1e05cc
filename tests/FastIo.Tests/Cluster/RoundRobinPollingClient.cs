using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using NUnit.Framework;

namespace FastIo.Tests.Cluster;

/// <summary>
/// A Socket.IO v5 client over Engine.IO v4 long-polling that sends each HTTP request to the next of several node URLs
/// in turn — what a round-robin balancer without stickiness does — and records every answer that was not 200.
/// </summary>
internal sealed class RoundRobinPollingClient : IAsyncDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private readonly HttpClient _http;
    private string[] _nodes;
    private readonly Channel<string> _received = Channel.CreateUnbounded<string>();
    private readonly SemaphoreSlim _postLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<string> _failures = new();
    private int _next;
    private volatile bool _paused;
    private Task? _pollLoop;

    public RoundRobinPollingClient(HttpClient http, string[] nodes, int firstNode = 0, string sid = "")
    {
        _http = http;
        _nodes = nodes;
        _next = firstNode;
        Sid = sid;
    }

    /// <summary>From now on, sends requests to these nodes only (the balancer took one out).</summary>
    public void UseNodes(string[] nodes) => Volatile.Write(ref _nodes, nodes);

    /// <summary>Issues no further GET once the current one is answered (as engine.io-client pauses polling to upgrade).</summary>
    public void PausePolling() => _paused = true;

    /// <summary>The Engine.IO session id; given at construction for a session opened by other means (no poll loop then).</summary>
    public string Sid { get; private set; } = "";

    /// <summary>Requests answered with anything but 200 ("status body"), in order.</summary>
    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures)
            {
                return _failures.ToArray();
            }
        }
    }

    /// <summary>Completes when the poll loop ended (the session was closed or refused).</summary>
    public Task Ended => _pollLoop ?? Task.CompletedTask;

    /// <summary>Opens the session and connects to the main namespace.</summary>
    public async Task ConnectAsync()
    {
        var open = await SendAsync(HttpMethod.Get, null);
        Assert.That(open.Status, Is.EqualTo(HttpStatusCode.OK), open.Body);
        Sid = JsonDocument.Parse(open.Body.AsMemory(1)).RootElement.GetProperty("sid").GetString()!;
        _pollLoop = PollLoopAsync();
        await PostAsync("40");
        await NextAsync(p => p.StartsWith("40", StringComparison.Ordinal));
    }

    /// <summary>Sends packets in one POST (several are joined with the record separator).</summary>
    public async Task PostAsync(params string[] packets)
    {
        await _postLock.WaitAsync();
        try
        {
            var answer = await SendAsync(HttpMethod.Post, string.Join('\u001e', packets));
            Assert.That(answer.Status, Is.EqualTo(HttpStatusCode.OK), $"POST for {Sid}: {answer.Body}");
        }
        finally
        {
            _postLock.Release();
        }
    }

    /// <summary>The next received packet that matches, skipping others.</summary>
    public async Task<string> NextAsync(Func<string, bool> match)
    {
        using var timeout = new CancellationTokenSource(s_timeout);
        while (true)
        {
            string packet;
            try
            {
                packet = await _received.Reader.ReadAsync(timeout.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
            {
                Assert.Fail($"session {Sid}: nothing matching arrived ({e.GetType().Name}); failures: {string.Join(" | ", Failures)}");
                throw;
            }

            if (match(packet))
            {
                return packet;
            }
        }
    }

    /// <summary>One GET or POST of this session to the next node; the handshake has no sid.</summary>
    public async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string? body, CancellationToken cancellationToken = default)
    {
        var nodes = Volatile.Read(ref _nodes);
        var node = nodes[(Interlocked.Increment(ref _next) & int.MaxValue) % nodes.Length];
        var url = $"{node}/socket.io/?EIO=4&transport=polling" + (Sid.Length > 0 ? "&sid=" + Sid : "");
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "text/plain");
        }

        using var response = await _http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            lock (_failures)
            {
                _failures.Add($"{(int)response.StatusCode} {method} via {node}: {text}");
            }
        }

        return (response.StatusCode, text);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_pollLoop is not null)
        {
            try
            {
                await _pollLoop;
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stop.Dispose();
        _postLock.Dispose();
    }

    private async Task PollLoopAsync()
    {
        while (!_stop.IsCancellationRequested && !_paused)
        {
            (HttpStatusCode Status, string Body) answer;
            try
            {
                answer = await SendAsync(HttpMethod.Get, null, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (answer.Status != HttpStatusCode.OK)
            {
                _received.Writer.TryComplete();
                return;
            }

            foreach (var packet in answer.Body.Split('\u001e'))
            {
                if (packet == "2")
                {
                    _ = PostAsync("3"); // pong
                }
                else if (packet == "1")
                {
                    _received.Writer.TryWrite(packet);
                    _received.Writer.TryComplete();
                    return;
                }
                else if (packet != "6")
                {
                    _received.Writer.TryWrite(packet);
                }
            }
        }
    }
}
