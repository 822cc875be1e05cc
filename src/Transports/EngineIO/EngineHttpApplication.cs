using System.Runtime.CompilerServices;
using System.Text;
using FastIo.EngineIO;
using FastIo.Transports.Cluster;
using FastIo.Transports.Http;
using FastIo.Transports.Sharding;
using FastIo.Transports.WebSockets;
using Microsoft.Extensions.Logging;
using HttpMethod = FastIo.Transports.Http.HttpMethod;

namespace FastIo.Transports.EngineIO;

/// <summary>
/// Serves the requests of one <see cref="EngineServer"/>'s path: the handshake, long-polling GET/POST, WebSocket
/// upgrades and CORS preflights.
/// </summary>
internal sealed partial class EngineHttpApplication
{
    private static readonly byte[] s_ok = "ok"u8.ToArray();
    private static readonly byte[] s_noop = "6"u8.ToArray();
    private static readonly byte[] s_noopV3 = "1:6"u8.ToArray(); // a v3 payload prefixes each packet with its length

    private static readonly EngineRequestInfo.PackWriter<HttpRequest> s_packRequest = PackRequest;

    // A waiting GET's connection went away: the client's own closes its session, a peer's relayed one only drops.
    private static readonly Action<object, object> s_abortClientPoll =
        static (polling, poll) => ((PollingTransport)polling).AbortPoll((Task<PollResponse>)poll, closeSession: true);

    private static readonly Action<object, object> s_abortRelayedPoll =
        static (polling, poll) => ((PollingTransport)polling).AbortPoll((Task<PollResponse>)poll, closeSession: false);

    [ThreadStatic]
    private static List<EnginePacket>? t_packets;

    private readonly EngineServer _engine;
    private readonly EngineOptions _options;
    private readonly WebSocketOptions _webSocketOptions;
    private readonly ILogger _logger;
    private readonly string _path;
    private readonly ShardSet _shards;
    private readonly NodeForwarder? _forwarder;

    public EngineHttpApplication(EngineServer engine, ShardSet shards, WebSocketOptions webSocketOptions, NodeForwarder? forwarder, ILogger logger)
    {
        _engine = engine;
        _forwarder = forwarder;
        _shards = shards;
        engine.Metrics.SetShardCount(shards.Count);
        engine.ShardDispatch = shards.Dispatch;
        _options = engine.Options;
        _webSocketOptions = webSocketOptions;
        _logger = logger;
        // engine.io matches "/engine.io/" as a prefix of the URL; the form without the slash is accepted too.
        _path = engine.Path.TrimEnd('/');
    }

    /// <summary>Whether <paramref name="path"/> belongs to this engine.</summary>
    public bool Matches(string path) =>
        path.StartsWith(_path, StringComparison.Ordinal) &&
        (path.Length == _path.Length || path[_path.Length] == '/');

    // Pooled: since the upgraded connection is handed off (HttpContext.HandOff), this box no longer stays pending for a
    // WebSocket's life but completes at the upgrade; a long-polling GET holds it while it waits and gives it back.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;

        // Per request, not per connection: a keep-alive connection carries requests of sessions on different shards.
        // The session's shard is named in its sid; a handshake goes to the shard with the fewest sessions.
        var sid = request.GetQuery("sid");

        // Sticky-free multi-node: a session of another node is served by that node, through this one. Off the shards:
        // relaying touches no session state here. When the owner is gone the request goes on below, where the sid is
        // unknown, so the client gets the same "Session ID unknown" (with CORS headers) a direct request would get.
        if (sid is not null && _forwarder is not null && _forwarder.IsForeign(request, sid, out var owner)
            && await _forwarder.TryForwardAsync(context, sid, owner, request.Headers.ContainsToken("Upgrade", "websocket")).ConfigureAwait(false))
        {
            return;
        }

        var ticket = sid is null ? new HandshakeTicket(_engine.Metrics) : null;
        try
        {
            var shard = ticket is null ? _shards.ForSid(sid!) : _shards[ticket.Shard];
            await context.MoveToShard(shard);
            var isUpgrade = request.Headers.ContainsToken("Upgrade", "websocket");
            if (_options.Cors is { } cors && !isUpgrade)
            {
                var origin = request.Headers.Get("Origin");
                if (WriteCors(cors, origin, request, response))
                {
                    return; // preflight answered
                }
            }

            var error = _engine.Verify(
                request.MethodText, request.GetQuery("EIO"), request.GetQuery("transport"), sid, isUpgrade,
                out var session, out var protocol);
            if (error is { } code)
            {
                if (code == EngineErrorCode.UnknownSid && !isUpgrade && request.Method == HttpMethod.Get && _engine.WasClosedByClient(sid!))
                {
                    // The GET that raced its client's close packet: released with a noop, as it would have been had it
                    // arrived first.
                    context.Response.SetBody(Noop(protocol), "text/plain; charset=UTF-8");
                    return;
                }

                Reject(context, code, null, isUpgrade);
                return;
            }

            if (session is null)
            {
                var info = ToRequestInfo(request);
                var refusal = await _engine.CheckAllowRequestAsync(info, context.RequestAborted).ConfigureAwait(false);
                await shard.SwitchTo(); // the application's hook may have completed anywhere
                if (refusal is not null)
                {
                    Reject(context, EngineErrorCode.Forbidden, refusal, isUpgrade);
                    return;
                }

                if (isUpgrade)
                {
                    await HandleWebSocketAsync(context, null, protocol, info, shard, ticket).ConfigureAwait(false);
                    return;
                }

                session = Handshake(protocol, info, shard.Index);
                ticket?.End();
                if (_options.Cookie is { } cookie)
                {
                    // Only the handshake sets the cookie, as engine.io does.
                    response.Headers.Add("Set-Cookie", cookie.Format(session.Id));
                }

                await HandlePollAsync(context, session, shard).ConfigureAwait(false);
                return;
            }

            if (isUpgrade)
            {
                await HandleWebSocketAsync(context, session, session.Protocol, null, shard, null).ConfigureAwait(false);
                return;
            }

            switch (request.Method)
            {
                case HttpMethod.Get:
                    await HandlePollAsync(context, session, shard).ConfigureAwait(false);
                    break;
                case HttpMethod.Post:
                    HandlePost(context, session);
                    break;
                default:
                    Reject(context, EngineErrorCode.BadRequest, null, false);
                    break;
            }
        }
        finally
        {
            ticket?.End();
        }
    }

    private EngineSession Handshake(int protocol, EngineRequestInfo info, int shard)
    {
        var transport = new PollingTransport(_engine.Timers);
        // v3 clients ask for base64 with b64=1 when they cannot take binary payloads.
        var supportsBinary = QueryStringParser.Get(info.QueryString, "b64") is null;
        return _engine.Handshake(protocol, transport, info, supportsBinary, shard);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask HandlePollAsync(HttpContext context, EngineSession session, ShardScheduler shard)
    {
        if (session.Transport is not PollingTransport polling)
        {
            Reject(context, EngineErrorCode.BadRequest, null, false);
            return;
        }

        // A GET relayed by a peer that drops it means the peer went away (it crashed or stopped), not necessarily the
        // client, which a balancer may already be retrying through another node: the session stays, and the heartbeat
        // ends it if the client is really gone. A client's own GET that drops closes the session, as in engine.io.
        var relayed = _forwarder is not null && _forwarder.IsFromPeer(context.Request, session.Id);
        var poll = polling.BeginPoll(relayed);
        if (poll is null)
        {
            Reject(context, EngineErrorCode.BadRequest, null, false);
            return;
        }

        PollResponse result;
        if (!context.SetAbortCallback(relayed ? s_abortRelayedPoll : s_abortClientPoll, polling, poll))
        {
            polling.AbortPoll(poll, closeSession: !relayed); // gone already
        }

        try
        {
            result = await shard.After(poll);
        }
        catch (OperationCanceledException)
        {
            // The client went away (then nothing is written), or a newer GET replaced this relayed one (see
            // PollingTransport.BeginPoll): a noop releases it, should its connection still be there.
            context.Response.Headers.Add("Cache-Control", "no-store");
            context.Response.SetBody(Noop(polling.Session!.Protocol), "text/plain; charset=UTF-8");
            return;
        }
        finally
        {
            // An abort racing with this runs AbortPoll on an answered poll, which does nothing.
            context.ClearAbortCallback();
        }

        if (result.IsRefused)
        {
            Reject(context, EngineErrorCode.BadRequest, null, false);
            return;
        }

        var response = context.Response;
        response.Headers.Add("Cache-Control", "no-store");
        response.SetBody(result.Body, result.IsBinary ? "application/octet-stream" : "text/plain; charset=UTF-8");
    }

    private void HandlePost(HttpContext context, EngineSession session)
    {
        if (session.Transport is not PollingTransport polling || !polling.BeginPost())
        {
            Reject(context, EngineErrorCode.BadRequest, null, false);
            return;
        }

        try
        {
            var request = context.Request;
            var isBinary = string.Equals(request.Headers.Get("Content-Type"), "application/octet-stream", StringComparison.OrdinalIgnoreCase);
            if (isBinary && session.Protocol != 3)
            {
                session.OnTransportError(polling, "invalid content");
                Reject(context, EngineErrorCode.BadRequest, null, false);
                return;
            }

            // One list per thread, taken while in use: a POST's packets are handled before it returns.
            var packets = t_packets ?? new List<EnginePacket>();
            t_packets = null;
            var body = request.Body.Span;
            var ok = session.Protocol != 3 ? EngineCodec.TryDecodePayloadV4(body, packets)
                : isBinary ? EngineCodec.TryDecodePayloadV3Binary(body, packets)
                : EngineCodec.TryDecodePayloadV3Text(body, packets);
            foreach (var packet in packets)
            {
                if (packet.Type == EnginePacketType.Close)
                {
                    polling.OnClientClose();
                    break;
                }

                session.OnPacket(polling, packet.Type, packet.Data.Span, packet.IsBinary);
            }

            if (!ok)
            {
                Log.BadPayload(_logger, session.Id);
                session.OnParseError(polling);
                Reject(context, EngineErrorCode.BadRequest, null, false);
                return;
            }

            // text/html, not text/plain, keeps some browsers from offering a download (engine.io GH-43).
            context.Response.Headers.Add("Cache-Control", "no-store");
            context.Response.SetBody(s_ok, "text/html");
            packets.Clear();
            t_packets = packets;
        }
        finally
        {
            polling.EndPost();
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask HandleWebSocketAsync(
        HttpContext context, EngineSession? session, int protocol, EngineRequestInfo? info, ShardScheduler shard, HandshakeTicket? ticket)
    {
        var request = context.Request;
        if (!WebSocketHandshake.TryAccept(
                request.MethodText, request.Headers.Get("Upgrade"), request.Headers.Get("Connection"),
                request.Headers.Get("Sec-WebSocket-Version"), request.Headers.Get("Sec-WebSocket-Key"),
                out var accept, out var handshakeError))
        {
            Log.BadUpgrade(_logger, handshakeError ?? "invalid");
            Reject(context, EngineErrorCode.BadRequest, null, isUpgrade: true);
            return;
        }

        var response = context.Response;
        response.StatusCode = 101;
        response.Headers.Add("Upgrade", "websocket");
        response.Headers.Add("Connection", "Upgrade");
        response.Headers.Add("Sec-WebSocket-Accept", accept);
        // A new v4 session's 101 leaves together with its OPEN packet, in one send: the handshake below queues the
        // packet, and the connection's first drain flushes both (S2: one send syscall and one shard hop fewer per
        // connect). v3 keeps them apart, as Node's timing does: clients that attach their message listener only after
        // the WebSocket 'open' event (the v3 suite does) miss a packet that arrives with the 101. The v4 and v5 suites
        // buffer events from the start, as engine.io-client does by attaching its listeners before the socket opens.
        // (This was undone once for ~3 KB more RSS per idle connection in S1; that turned out to be the GC's
        // compact-or-sweep choice, which moves S1's RSS by 1-3 KB at the same heap with or without it:
        // bench/RESULTS.md 2026-11-26 "s1".)
        var together = session is null && protocol != 3;
        var pipe = await context.AcceptUpgradeAsync(flush: !together).ConfigureAwait(false);
        await shard.SwitchTo();

        var transport = new WebSocketTransport(protocol);
        var connection = new WebSocketConnection(pipe, transport, _webSocketOptions, _logger, _options.TimeProvider, shard);
        transport.Attach(connection);
        if (session is null)
        {
            if (!together)
            {
                await shard.Yield(); // let the 101 leave first (see above)
            }

            _engine.Handshake(protocol, transport, info!, supportsBinary: true, shard.Index);
            ticket?.End(); // the connection lives on for hours: the session counts by itself now
        }
        else if (!session.TryBeginUpgrade(transport))
        {
            // Already upgraded, upgrading, or closed: engine.io closes the newcomer.
            connection.Close(1000, null);
        }

        // The receive loop owns the connection from here: the HTTP request and this chain of frames are let go.
        connection.Start();
        context.HandOff(connection);
    }

    private static byte[] Noop(int protocol) => protocol == 3 ? s_noopV3 : s_noop;

    private void Reject(HttpContext context, EngineErrorCode code, string? message, bool isUpgrade)
    {
        var response = context.Response;
        Log.Rejected(_logger, (int)code, context.Request.Target);
        response.StatusCode = EngineErrors.HttpStatus(code);
        if (isUpgrade)
        {
            // engine.io answers a refused upgrade with a plain-text message and drops the connection.
            response.Headers.Set("Connection", "close");
            response.SetBody(Encoding.UTF8.GetBytes(message ?? EngineErrors.Message(code)), "text/html");
            return;
        }

        response.SetBody(EngineErrors.JsonBody(code, message), "application/json");
    }

    private EngineRequestInfo ToRequestInfo(HttpRequest request)
    {
        // A peer's forwarded request carries the client's address, believed only with the cluster's signature.
        var remote = _forwarder?.TrustedClient(request, request.GetQuery("sid")) ?? request.RemoteEndPoint;
        return EngineRequestInfo.FromPacked(request.MethodText, request, s_packRequest, remote, secure: false);
    }

    /// <summary>The target and the fields, packed for the session's whole life (see <see cref="EngineRequestInfo"/>).</summary>
    private static void PackRequest(ref EngineRequestInfo.Packer packer, HttpRequest request)
    {
        packer.Add(request.Target);
        foreach (var (name, value) in request.Headers)
        {
            packer.Add(name);
            packer.Add(value);
        }
    }

    /// <summary>Adds CORS headers; true when the request was a preflight and is fully answered.</summary>
    private static bool WriteCors(CorsOptions cors, string? origin, HttpRequest request, HttpResponse response)
    {
        var allowOrigin = cors.AllowOriginFor(origin);
        if (allowOrigin is not null)
        {
            response.Headers.Add("Access-Control-Allow-Origin", allowOrigin);
            if (allowOrigin != "*")
            {
                response.Headers.Add("Vary", "Origin");
            }

            if (cors.Credentials)
            {
                response.Headers.Add("Access-Control-Allow-Credentials", "true");
            }
        }

        if (request.Method != HttpMethod.Options)
        {
            return false;
        }

        if (allowOrigin is not null)
        {
            response.Headers.Add("Access-Control-Allow-Methods", string.Join(',', cors.Methods));
            var allowedHeaders = cors.AllowedHeaders.Count > 0
                ? string.Join(',', cors.AllowedHeaders)
                : request.Headers.Get("Access-Control-Request-Headers");
            if (!string.IsNullOrEmpty(allowedHeaders))
            {
                response.Headers.Add("Access-Control-Allow-Headers", allowedHeaders);
            }

            if (cors.MaxAge is { } maxAge)
            {
                response.Headers.Add("Access-Control-Max-Age", ((long)maxAge.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        response.StatusCode = 204;
        return true;
    }

    private static partial class Log
    {
        [LoggerMessage(10, LogLevel.Debug, "Refused request {Target}: Engine.IO error {Code}")]
        public static partial void Rejected(ILogger logger, int code, string target);

        [LoggerMessage(11, LogLevel.Information, "Session {Sid} sent a malformed payload; closing it")]
        public static partial void BadPayload(ILogger logger, string sid);

        [LoggerMessage(12, LogLevel.Debug, "Refused WebSocket upgrade: {Reason}")]
        public static partial void BadUpgrade(ILogger logger, string reason);
    }
}
