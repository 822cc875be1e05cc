using System.Net;
using System.Net.Http.Headers;
using FastIo.Cluster;
using FastIo.EngineIO;
using FastIo.Transports.Http;
using Microsoft.Extensions.Logging;
using HttpMethod = FastIo.Transports.Http.HttpMethod;

namespace FastIo.Transports.Cluster;

/// <summary>
/// Sends a request for a session another node owns to that node and relays the answer: long-polling GET and POST over
/// a pool of keep-alive connections per peer, a WebSocket upgrade through a byte tunnel (<see cref="UpgradeTunnel"/>).
/// One per host, shared by its engines.
/// </summary>
/// <remarks>
/// <para>The node-to-node client is <see cref="SocketsHttpHandler"/> rather than a client on our own HTTP code: it
/// already has what a relay must get right — a keep-alive pool per peer with a bound, connect and overall timeouts,
/// cancellation that closes the connection (so the owner sees a client that went away, as it would directly), and
/// replay of a request that met a connection the peer had just closed while idle. The price is some allocation per
/// request (request and response objects, header collections), which the figures in bench/RESULTS.md include.</para>
/// <para>Idle pooled connections are dropped at half the server's keep-alive timeout, before the peer drops them, so a
/// request is rarely sent on a connection the peer is closing.</para>
/// </remarks>
internal sealed partial class NodeForwarder : IDisposable
{
    private static readonly byte[] s_goingAway = "node shutting down"u8.ToArray();
    private readonly ClusterOptions _options;
    private readonly INodeDirectory _directory;
    private readonly HttpClient _client;
    private readonly ILogger _logger;
    private readonly CancellationToken _shutdown;
    private volatile bool _joined;

    public NodeForwarder(ClusterOptions options, HttpServerOptions http, ILogger logger, CancellationToken shutdown)
    {
        _options = options;
        _directory = options.Directory;
        _logger = logger;
        _shutdown = shutdown;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = options.MaxConnectionsPerPeer,
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionIdleTimeout = http.KeepAliveTimeout / 2,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseProxy = false,
            UseCookies = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            ActivityHeadersPropagator = null, // no trace headers on node-to-node hops
            MaxResponseHeadersLength = 64, // KiB
        };
        _client = new HttpClient(handler)
        {
            Timeout = options.ForwardingTimeout,
            MaxResponseContentBufferSize = options.MaxResponseBytes,
            DefaultRequestVersion = HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
    }

    /// <summary>Set by the host once it joined the directory; until then nothing is forwarded.</summary>
    public void OnJoined() => _joined = true;

    /// <summary>
    /// Whether <paramref name="request"/> must go to another node: its sid names another node, and it was not
    /// forwarded already. Preflights are answered locally — their answer does not depend on the session.
    /// </summary>
    public bool IsForeign(HttpRequest request, string sid, out int owner)
    {
        owner = 0;
        if (!_joined || !EngineSessionId.TryParse(sid, out _, out owner) || owner == _directory.NodeId
            || request.Method == HttpMethod.Options || request.Headers.Contains(ForwardedHeaders.ForwardedBy))
        {
            return false;
        }

        return true;
    }

    /// <summary>
    /// The client address of a request a peer forwarded and signed; null when the request came straight from a client
    /// (or claims to be forwarded without a valid signature).
    /// </summary>
    public IPEndPoint? TrustedClient(HttpRequest request, string? sid) =>
        ForwardedHeaders.TrustedClient(request.Headers, _directory.ClusterKey.Span, sid);

    /// <summary>Whether <paramref name="request"/> was relayed by a peer node (its forwarding fields are signed).</summary>
    public bool IsFromPeer(HttpRequest request, string? sid) =>
        request.Headers.Contains(ForwardedHeaders.ForwardedBy) && ForwardedHeaders.IsSigned(request.Headers, _directory.ClusterKey.Span, sid);

    /// <summary>
    /// Forwards the request to node <paramref name="owner"/> and relays its answer; false when the owner is unknown or
    /// unreachable and nothing was answered (the caller then answers as a node that does not know the sid).
    /// </summary>
    public async ValueTask<bool> TryForwardAsync(HttpContext context, string sid, int owner, bool isUpgrade)
    {
        string? address;
        try
        {
            address = await _directory.ResolveAsync(owner, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return true; // the client is gone
        }

        if (address is null)
        {
            Log.OwnerUnknown(_logger, owner, sid);
            return false;
        }

        if (isUpgrade)
        {
            return await UpgradeTunnel.TryRunAsync(context, address, this, _options.ConnectTimeout, _logger, _shutdown).ConfigureAwait(false);
        }

        return await RelayAsync(context, sid, owner, address).ConfigureAwait(false);
    }

    /// <summary>The signed fields that go with a request forwarded from this node.</summary>
    public (string ForwardedBy, string Client, string Signature) ForwardingFields(HttpRequest request, string? sid)
    {
        var forwardedBy = ForwardedHeaders.Format(_directory.NodeId);
        var client = ForwardedHeaders.Format(request.RemoteEndPoint);
        return (forwardedBy, client, ForwardedHeaders.Sign(_directory.ClusterKey.Span, forwardedBy, client, sid));
    }

    /// <summary>Cancels every forwarded request still waiting (the host is stopping).</summary>
    public void CancelPending() => _client.CancelPendingRequests();

    public void Dispose() => _client.Dispose();

    private async ValueTask<bool> RelayAsync(HttpContext context, string sid, int owner, string address)
    {
        var request = context.Request;
        using var message = new HttpRequestMessage(ToNetMethod(request), "http://" + address + request.Target);
        if (!request.Body.IsEmpty || request.Method == HttpMethod.Post)
        {
            message.Content = new ReadOnlyMemoryContent(request.Body);
        }

        CopyRequestHeaders(request, message);
        var (forwardedBy, client, signature) = ForwardingFields(request, sid);
        message.Headers.TryAddWithoutValidation(ForwardedHeaders.ForwardedBy, forwardedBy);
        message.Headers.TryAddWithoutValidation(ForwardedHeaders.Client, client);
        message.Headers.TryAddWithoutValidation(ForwardedHeaders.Signature, signature);

        HttpResponseMessage answer;
        try
        {
            // ResponseContentRead: the whole body is read (bounded by MaxResponseBytes) before this returns.
            answer = await _client.SendAsync(message, HttpCompletionOption.ResponseContentRead, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return true; // the client went away; cancelling closed the peer connection, so the owner saw it go too
        }
        catch (OperationCanceledException) when (_shutdown.IsCancellationRequested)
        {
            // This node is stopping: the client retries elsewhere; its session is intact on its owner.
            var response = context.Response;
            response.StatusCode = 503;
            response.Headers.Set("Connection", "close");
            response.SetBody(s_goingAway, "text/plain");
            return true;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException or IOException)
        {
            // Refused, reset or timed out: the owner is dead or wedged. Its sessions are lost to this client, which
            // reconnects (anywhere) on the "Session ID unknown" the caller answers.
            Log.OwnerUnreachable(_logger, owner, address, sid, e.Message);
            return false;
        }

        using (answer)
        {
            // Already buffered by SendAsync: no I/O left here.
            var body = await answer.Content.ReadAsByteArrayAsync(CancellationToken.None).ConfigureAwait(false);
            CopyResponse(answer, body, context.Response);
        }

        return true;
    }

    private static System.Net.Http.HttpMethod ToNetMethod(HttpRequest request) => request.Method switch
    {
        HttpMethod.Get => System.Net.Http.HttpMethod.Get,
        HttpMethod.Post => System.Net.Http.HttpMethod.Post,
        _ => new System.Net.Http.HttpMethod(request.MethodText),
    };

    private static void CopyRequestHeaders(HttpRequest request, HttpRequestMessage message)
    {
        foreach (var (name, value) in request.Headers)
        {
            if (IsHopByHop(name) || ForwardedHeaders.IsOwn(name)
                || string.Equals(name, "Host", StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, "Expect", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!message.Headers.TryAddWithoutValidation(name, value))
            {
                // Content-Type and the other content fields belong to the content.
                message.Content?.Headers.TryAddWithoutValidation(name, value);
            }
        }
    }

    private static void CopyResponse(HttpResponseMessage answer, byte[] body, HttpResponse response)
    {
        response.StatusCode = (int)answer.StatusCode;
        foreach (var header in answer.Headers.NonValidated)
        {
            CopyField(header.Key, header.Value, response);
        }

        foreach (var header in answer.Content.Headers.NonValidated)
        {
            CopyField(header.Key, header.Value, response);
        }

        response.Body = body;
    }

    private static void CopyField(string name, HeaderStringValues values, HttpResponse response)
    {
        // Date and Content-Length are the relaying connection's to write (HttpResponseWriter adds them).
        if (IsHopByHop(name) || string.Equals(name, "Date", StringComparison.OrdinalIgnoreCase)
            || string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        foreach (var value in values)
        {
            response.Headers.Add(name, value);
        }
    }

    /// <summary>Fields that describe one connection, not the message (RFC 9110 §7.6.1).</summary>
    private static bool IsHopByHop(string name) =>
        string.Equals(name, "Connection", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "Keep-Alive", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "Proxy-Connection", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "Transfer-Encoding", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "TE", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "Trailer", StringComparison.OrdinalIgnoreCase)
        || string.Equals(name, "Upgrade", StringComparison.OrdinalIgnoreCase);

    private static partial class Log
    {
        [LoggerMessage(70, LogLevel.Debug, "No live node {Owner} for session {Sid}: answered as unknown")]
        public static partial void OwnerUnknown(ILogger logger, int owner, string sid);

        // The reason without the stack trace: when a node dies, every request for its sessions lands here.
        [LoggerMessage(71, LogLevel.Information, "Node {Owner} at {Address} is unreachable for session {Sid} ({Reason}): answered as unknown")]
        public static partial void OwnerUnreachable(ILogger logger, int owner, string address, string sid, string reason);
    }
}
