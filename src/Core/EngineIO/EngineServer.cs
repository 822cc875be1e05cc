using System.Buffers;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FastIo.Timers;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastIo.EngineIO;

/// <summary>
/// The Engine.IO server: validates requests, performs handshakes, owns the sessions and the single timer wheel
/// that drives every heartbeat. It knows nothing of sockets or HTTP framing; the transports layer feeds it.
/// </summary>
public sealed partial class EngineServer : IDisposable
{
    private readonly ConcurrentDictionary<string, EngineSession> _sessions = new(StringComparer.Ordinal);

    /// <summary>How long the sid of a polling session its client closed is remembered (see <see cref="WasClosedByClient"/>).</summary>
    private static readonly TimeSpan s_closedByClientMemory = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<string, long> _closedByClient = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    /// <summary>Creates a server that reports sessions to <paramref name="handler"/>.</summary>
    public EngineServer(EngineOptions options, IEngineHandler handler, ILogger<EngineServer>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(handler);
        Options = options;
        Handler = handler;
        _logger = logger ?? NullLogger<EngineServer>.Instance;
        Timers = new TimerWheel(options.TimeProvider, options.TimerResolution);
        Metrics = new EngineMetrics(Path);
    }

    /// <summary>The options the server was created with.</summary>
    public EngineOptions Options { get; }

    /// <summary>
    /// The path served: <see cref="EngineOptions.Path"/>, or the handler's default (<c>/socket.io/</c> for a
    /// handler that says so through <see cref="IEngineDefaultPath"/>, else <c>/engine.io/</c>).
    /// </summary>
    public string Path => Options.Path ?? (Handler as IEngineDefaultPath)?.DefaultPath ?? "/engine.io/";

    /// <summary>The number of open sessions.</summary>
    public int SessionCount => _sessions.Count;

    internal IEngineHandler Handler { get; }

    internal TimerWheel Timers { get; }

    /// <summary>
    /// Runs work on a session's shard (set by a sharded host): the application hears of a closed session there, whoever
    /// closed it (the timer wheel on a ping timeout, another shard's broadcast to a slow consumer). Null: where it happens.
    /// </summary>
    internal Action<int, Action<object?>, object?>? ShardDispatch { get; set; }

    /// <summary>Per-shard counters; the host sets the shard count before the first session.</summary>
    internal EngineMetrics Metrics { get; }

    /// <summary>Looks up an open session.</summary>
    public bool TryGetSession(string sid, out EngineSession? session)
    {
        var found = _sessions.TryGetValue(sid, out var s);
        session = s;
        return found;
    }

    /// <summary>
    /// Checks a request against the protocol, in engine.io's order (transport, sid, handshake method,
    /// protocol revision). Returns null when the request may proceed; <paramref name="session"/> is the
    /// session it names, or null for a handshake.
    /// </summary>
    internal EngineErrorCode? Verify(
        string method, string? eio, string? transport, string? sid, bool isUpgrade, out EngineSession? session, out int protocol)
    {
        session = null;
        protocol = eio == "4" ? 4 : 3;
        if (transport is null || !Options.IsTransportEnabled(transport))
        {
            return EngineErrorCode.UnknownTransport;
        }

        if (isUpgrade && transport != "websocket")
        {
            // Only the WebSocket transport handles upgraded connections (engine.io closes the others).
            return EngineErrorCode.BadRequest;
        }

        if (sid is not null)
        {
            if (!_sessions.TryGetValue(sid, out session))
            {
                return EngineErrorCode.UnknownSid;
            }

            if (session.IsHeartbeatOverdue())
            {
                // The wheel has not fired yet, but the deadline is gone: the session is dead for this client.
                session.CloseCore("ping timeout");
                session = null;
                return EngineErrorCode.UnknownSid;
            }

            if (!isUpgrade && session.TransportName != transport)
            {
                // e.g. a polling request after the session moved to WebSocket
                return EngineErrorCode.BadRequest;
            }

            return null;
        }

        if (method != "GET")
        {
            return EngineErrorCode.BadHandshakeMethod;
        }

        if (transport == "websocket" && !isUpgrade)
        {
            return EngineErrorCode.BadRequest;
        }

        if (protocol == 3 && !Options.AllowEIO3)
        {
            return EngineErrorCode.UnsupportedProtocolVersion;
        }

        return null;
    }

    /// <summary>Runs the <see cref="EngineOptions.AllowRequest"/> hook; null accepts, else the refusal message.</summary>
    internal ValueTask<string?> CheckAllowRequestAsync(EngineRequestInfo request, CancellationToken cancellationToken) =>
        Options.AllowRequest is { } allow ? allow(request, cancellationToken) : ValueTask.FromResult<string?>(null);

    /// <summary>
    /// Creates, registers and opens a session on <paramref name="transport"/>, owned by <paramref name="shard"/> (named
    /// in its sid, see <see cref="EngineSessionId"/>); the OPEN packet is queued first.
    /// </summary>
    internal EngineSession Handshake(int protocol, EngineTransport transport, EngineRequestInfo request, bool supportsBinary, int shard = 0)
    {
        var session = new EngineSession(this, EngineSessionId.Create(shard, Options.NodeId), shard, protocol, transport, request, supportsBinary);
        _sessions[session.Id] = session;
        Metrics.SessionOpened(shard);
        session.Open();
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            Log.SessionOpened(_logger, session.Id, transport.Name, protocol, request.RemoteEndPoint?.ToString());
        }

        try
        {
            Handler.OnOpen(session);
        }
        catch (Exception e)
        {
            // A session the application failed to take is closed at once; its request is then refused.
            LogHandlerError(session, "OnOpen", e);
            session.CloseCore("transport error");
        }

        return session;
    }

    internal void Remove(EngineSession session)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, EngineSession>(session.Id, session)))
        {
            Metrics.SessionClosed(session.Shard);
            Log.SessionClosed(_logger, session.Id, session.CloseReason ?? "");
        }
    }

    /// <summary>
    /// Closes every session gracefully (polling clients get a close packet, WebSockets a close frame) and
    /// waits until they are gone or <paramref name="cancellationToken"/> fires; stragglers are then cut.
    /// </summary>
    public async Task CloseAllAsync(CancellationToken cancellationToken)
    {
        foreach (var session in _sessions.Values)
        {
            session.Close("server shutting down");
        }

        try
        {
            while (!_sessions.IsEmpty)
            {
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }

        foreach (var session in _sessions.Values)
        {
            session.CloseCore("server shutting down");
        }
    }

    /// <summary>
    /// Whether <paramref name="sid"/> is a polling session its client closed a moment ago. A GET the client sent just
    /// before its close packet can arrive after it (another connection); engine.io answers such a GET with a noop,
    /// which the client expects, so the transport layer does too instead of "Session ID unknown".
    /// </summary>
    /// <remarks>Answered once: the GET it releases consumes the memory, later ones are refused as usual.</remarks>
    internal bool WasClosedByClient(string sid) =>
        _closedByClient.TryRemove(sid, out var at) && Options.TimeProvider.GetElapsedTime(at) < s_closedByClientMemory;

    internal void RememberClosedByClient(string sid)
    {
        var now = Options.TimeProvider.GetTimestamp();
        foreach (var (old, at) in _closedByClient)
        {
            if (Options.TimeProvider.GetElapsedTime(at) >= s_closedByClientMemory)
            {
                _closedByClient.TryRemove(old, out _);
            }
        }

        _closedByClient[sid] = now;
    }

    internal void LogHandlerError(EngineSession session, string callback, Exception exception) =>
        Log.HandlerFailed(_logger, exception, callback, session.Id);

    internal void LogSlowConsumer(EngineSession session) => Log.SlowConsumer(_logger, session.Id, Options.MaxBufferedPackets);

    /// <summary>The OPEN packet's JSON: exactly sid, upgrades, pingInterval, pingTimeout, maxPayload.</summary>
    /// <summary>Characters a sid can hold without JSON escaping on the hand-written path (FastIo's sids are base64url).</summary>
    private static readonly SearchValues<char> s_plainSidChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    internal byte[] BuildOpenPacket(string sid, EngineTransport transport)
    {
        var upgrades = Options.AllowUpgrades && !transport.HandlesUpgrades && Options.IsTransportEnabled("websocket");

        // Written by hand into one exact array (per handshake: no writer, no JSON writer, no copy). Same bytes as
        // the Utf8JsonWriter path below, which stays for a sid that would need escaping (FastIo's never do).
        Span<byte> open = stackalloc byte[256];
        if (sid.Length <= 64 && !sid.AsSpan().ContainsAnyExcept(s_plainSidChars) && TryWriteOpen(open, sid, upgrades, out var written))
        {
            return open[..written].ToArray();
        }

        var buffer = new ArrayBufferWriter<byte>(160);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("sid", sid);
            json.WriteStartArray("upgrades");
            if (upgrades)
            {
                json.WriteStringValue("websocket");
            }

            json.WriteEndArray();
            json.WriteNumber("pingInterval", (long)Options.PingInterval.TotalMilliseconds);
            json.WriteNumber("pingTimeout", (long)Options.PingTimeout.TotalMilliseconds);
            json.WriteNumber("maxPayload", Options.MaxHttpBufferSize);
            json.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// <c>{"sid":"…","upgrades":[…],"pingInterval":…,"pingTimeout":…,"maxPayload":…}</c>, as Utf8JsonWriter writes
    /// it; false when it does not fit.
    /// </summary>
    private bool TryWriteOpen(Span<byte> destination, string sid, bool upgrades, out int written)
    {
        written = 0;
        if (!Append(destination, ref written, "{\"sid\":\""u8) || !Encoding.ASCII.TryGetBytes(sid, destination[written..], out var sidLength))
        {
            return false;
        }

        written += sidLength;
        return Append(destination, ref written, upgrades ? "\",\"upgrades\":[\"websocket\"],\"pingInterval\":"u8 : "\",\"upgrades\":[],\"pingInterval\":"u8)
            && AppendNumber(destination, ref written, (long)Options.PingInterval.TotalMilliseconds)
            && Append(destination, ref written, ",\"pingTimeout\":"u8)
            && AppendNumber(destination, ref written, (long)Options.PingTimeout.TotalMilliseconds)
            && Append(destination, ref written, ",\"maxPayload\":"u8)
            && AppendNumber(destination, ref written, Options.MaxHttpBufferSize)
            && Append(destination, ref written, "}"u8);

        static bool Append(Span<byte> destination, ref int written, ReadOnlySpan<byte> text)
        {
            if (!text.TryCopyTo(destination[written..]))
            {
                return false;
            }

            written += text.Length;
            return true;
        }

        static bool AppendNumber(Span<byte> destination, ref int written, long value)
        {
            if (!value.TryFormat(destination[written..], out var length, default, CultureInfo.InvariantCulture))
            {
                return false;
            }

            written += length;
            return true;
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Timers.Dispose();
        Metrics.Dispose();
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Debug, "Session {Sid} opened on {Transport} (EIO {Protocol}) from {Remote}")]
        public static partial void SessionOpened(ILogger logger, string sid, string transport, int protocol, string? remote);

        [LoggerMessage(2, LogLevel.Debug, "Session {Sid} closed: {Reason}")]
        public static partial void SessionClosed(ILogger logger, string sid, string reason);

        [LoggerMessage(4, LogLevel.Error, "The application's {Callback} failed for session {Sid}")]
        public static partial void HandlerFailed(ILogger logger, Exception exception, string callback, string sid);

        [LoggerMessage(3, LogLevel.Warning, "Session {Sid} has {Count} packets waiting and does not poll: closing it (slow consumer)")]
        public static partial void SlowConsumer(ILogger logger, string sid, int count);
    }
}
