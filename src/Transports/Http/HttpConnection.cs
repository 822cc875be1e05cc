using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Runtime.CompilerServices;
using FastIo.Transports.Sharding;
using Microsoft.Extensions.Logging;

namespace FastIo.Transports.Http;

/// <summary>
/// Serves HTTP/1.1 on one transport connection: parse a request head, read its body, run the
/// application, write the response, repeat while the connection persists (RFC 9112 §9.3).
/// </summary>
/// <remarks>
/// <para>Only one party reads the input at a time: the request loop, or, while a handler is pending,
/// the input watcher that detects a peer that went away (for <see cref="HttpContext.RequestAborted"/>),
/// or, after an upgrade, the application. Hand-overs use <see cref="PipeReader.CancelPendingRead"/>;
/// every read loop tolerates a spurious cancelled read (shutdown and timeouts use the same signal) by
/// re-checking its flags and then treating the result as ordinary data.</para>
/// <para>Timeouts are checked by the shared <see cref="HttpHeartbeat"/>: the connection only publishes a
/// deadline; the heartbeat swaps it to <c>Expired</c> (compare-and-swap, so a stale check cannot fire
/// after the connection moved on) and cancels the pending read.</para>
/// </remarks>
internal sealed class HttpConnection
{
    private const long NoDeadline = long.MaxValue;

    /// <summary>The first allocation for a Content-Length body; it grows as bytes actually arrive.</summary>
    private const int InitialBodyCapacity = 16 * 1024;
    private const long Expired = long.MinValue;

    private readonly IDuplexPipe _transport;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly EndPoint? _remoteEndPoint;
    private readonly IHttpApplication _app;
    private readonly HttpServerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationToken _shutdown;
    private readonly HttpContext _context;
    private readonly HttpRequest _request;
    private readonly HttpResponse _response;
    private readonly HttpRequestParser _parser;
    private readonly ChunkedBodyDecoder _chunked = new();
    private readonly RequestBodyBuffer _body = new();
    private readonly Lock _sync = new();
    private HttpHeartbeat? _heartbeat;
    private long _deadline = NoDeadline;
    private volatile bool _shutdownRequested;
    private volatile bool _stopWatching;
    private ValueTask? _watcher;
    private bool _upgraded;
    private ReadResult _heldRead;
    private bool _hasHeldRead;
    private IUpgradedProtocol? _handedOff;

    private HttpConnection(IDuplexPipe transport, EndPoint? remoteEndPoint, IHttpApplication app, HttpServerOptions options, ILogger logger, ConnectionScheduler? scheduler, CancellationToken shutdown)
    {
        Scheduler = scheduler;
        _transport = transport;
        _input = transport.Input;
        _output = transport.Output;
        _remoteEndPoint = remoteEndPoint;
        _app = app;
        _options = options;
        _logger = logger;
        _shutdown = shutdown;
        _parser = new HttpRequestParser(options.MaxRequestHeadersBytes);
        _context = new HttpContext(this);
        _request = _context.Request;
        _response = _context.Response;
    }

    /// <summary>
    /// Runs the connection until the peer closes it, a timeout, an error, an upgrade ends it, or
    /// <paramref name="shutdown"/> fires (the current response is finished first). The returned task
    /// always completes successfully; on return both sides of <paramref name="transport"/> are completed,
    /// unless the application handed the upgraded connection off (<see cref="HttpContext.HandOff"/>): then the
    /// result is the protocol that now owns the transport, and completing it is that protocol's business. Await the
    /// result exactly once (its box is pooled); tests that need a Task use AsTask.
    /// </summary>
    /// <remarks><paramref name="scheduler"/> is the reader scheduler of the input when the host made it retargetable
    /// (see <see cref="HttpContext.MoveToShard"/>); null for pipes a custom host handed in.</remarks>
    public static ValueTask<IUpgradedProtocol?> RunAsync(IDuplexPipe transport, EndPoint? remoteEndPoint, IHttpApplication app, HttpServerOptions options, ILogger logger, ConnectionScheduler? scheduler, CancellationToken shutdown)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        return new HttpConnection(transport, remoteEndPoint, app, options, logger, scheduler, shutdown).ProcessAsync();
    }

    /// <summary>The input pipe's reader scheduler, when retargetable.</summary>
    internal ConnectionScheduler? Scheduler { get; }

    /// <summary>Called by the heartbeat on its timer thread.</summary>
    internal void OnHeartbeat(long nowTicks)
    {
        var deadline = Volatile.Read(ref _deadline);
        if (deadline != Expired && nowTicks >= deadline && Interlocked.CompareExchange(ref _deadline, Expired, deadline) == deadline)
        {
            CancelPendingReadSafe();
        }
    }

    /// <summary>
    /// Implements <see cref="HttpContext.AcceptUpgradeAsync"/> (<paramref name="writeSwitchingProtocols"/> true) and
    /// <see cref="HttpContext.DetachAsync"/> (false: the application writes whatever the peer gets next).
    /// <paramref name="flush"/> false leaves the 101 unflushed, to leave with the protocol's first bytes.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<IDuplexPipe> AcceptUpgradeAsync(bool writeSwitchingProtocols, bool flush = true)
    {
        ValueTask? watcher;
        lock (_sync)
        {
            if (_upgraded)
            {
                throw new InvalidOperationException("The connection has already been upgraded.");
            }

            _upgraded = true;
            watcher = _watcher;
            _watcher = null;
        }

        // The application is about to read the input itself: the watcher must let go of it first.
        if (watcher is { } pendingWatcher)
        {
            await StopWatcherAsync(pendingWatcher).ConfigureAwait(false);
        }

        if (_hasHeldRead)
        {
            // Give the read back to the pipe with nothing examined, so the application's first ReadAsync
            // returns the bytes already received. TryRead also observes a possibly stale
            // CancelPendingRead, which the other protocol would otherwise see as a cancelled read.
            _hasHeldRead = false;
            _input.AdvanceTo(_heldRead.Buffer.Start);
            _heldRead = default;
            if (_input.TryRead(out var pending))
            {
                _input.AdvanceTo(pending.Buffer.Start);
            }
        }

        if (writeSwitchingProtocols)
        {
            HttpResponseWriter.WriteSwitchingProtocols(_output, _response.Headers);
            if (flush)
            {
                await _output.FlushAsync().ConfigureAwait(false);
            }
        }

        // The connection belongs to the other protocol for the rest of its life (hours, for a WebSocket): let the
        // request's and response's header storage go instead of holding it per idle connection.
        _request.Headers.Release();
        _response.Headers.Release();
        _request.Body = default;
        return _transport;
    }

    /// <summary>Implements <see cref="HttpContext.HandOff"/>.</summary>
    internal void HandOff(IUpgradedProtocol protocol)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        lock (_sync)
        {
            if (!_upgraded || _handedOff is not null)
            {
                throw new InvalidOperationException("Only an upgraded connection can be handed off, and only once.");
            }

            _handedOff = protocol;
        }
    }

    // Pooled, like the other steps of the request loop: every WebSocket connect allocated these boxes and dropped them
    // at the upgrade (~1 KB with the application's, HttpPathBenchmarks.WebSocketConnect). Since the upgraded protocol
    // is handed off (HandOff), none of them stays pending for a WebSocket's life; a keep-alive connection holds its
    // boxes while it lives and gives them back at its end. The pool keeps one box per thread and per core, so bursts
    // of concurrent connects still allocate (bench/RESULTS.md 2026-11-26 "connect").
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<IUpgradedProtocol?> ProcessAsync()
    {
        _heartbeat = HttpHeartbeat.Register(_options.TimeProvider, this);
        var shutdownRegistration = _shutdown.UnsafeRegister(static state => ((HttpConnection)state!).OnShutdown(), this);
        try
        {
            var first = true;
            while (!_shutdownRequested)
            {
                _request.Reset(_remoteEndPoint);
                _context.Reset();
                _parser.Reset();

                // The first request is timed from the connection start (a peer that connects and sends
                // nothing is a slowloris too); later ones get the keep-alive timeout while idle.
                SetDeadline(first ? _options.RequestHeadersTimeout : _options.KeepAliveTimeout);
                if (!await ReadHeadAsync(first).ConfigureAwait(false))
                {
                    break;
                }

                first = false;
                if (!await ReadBodyAsync().ConfigureAwait(false) || !await RunApplicationAsync().ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (Exception ex)
        {
            HttpLog.ConnectionError(_logger, ex, _remoteEndPoint);
        }
        finally
        {
            Volatile.Write(ref _deadline, NoDeadline);
            await shutdownRegistration.DisposeAsync().ConfigureAwait(false);
            _heartbeat.Unregister(this);
            if (_handedOff is null)
            {
                await CompleteTransportAsync().ConfigureAwait(false);
            }
        }

        // A handed-off protocol owns the transport from here; this connection's objects (request, response, parser,
        // this loop's frames) become garbage instead of living as long as the WebSocket does.
        return _handedOff;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReadHeadAsync(bool first)
    {
        var started = false;
        while (true)
        {
            var result = await ReadInputAsync().ConfigureAwait(false);
            var buffer = result.Buffer;
            if (Volatile.Read(ref _deadline) == Expired)
            {
                _input.AdvanceTo(buffer.Start);
                LogTimeout(idle: !first && !started);
                return false;
            }

            if (_shutdownRequested)
            {
                _input.AdvanceTo(buffer.Start);
                return false;
            }

            if (!started && !buffer.IsEmpty)
            {
                started = true;
                if (!first && !SetDeadline(_options.RequestHeadersTimeout))
                {
                    _input.AdvanceTo(buffer.Start);
                    LogTimeout(idle: true);
                    return false;
                }
            }

            var reader = new SequenceReader<byte>(buffer);
            var parse = _parser.ParseHead(ref reader, _request);
            if (parse.IsComplete)
            {
                // examined == consumed: a pipelined request behind this one stays immediately readable.
                _input.AdvanceTo(reader.Position);
                Volatile.Write(ref _deadline, NoDeadline);
                parse = HttpRequestParser.ResolveFraming(_request, _options.MaxRequestBodyBytes);
                if (parse.IsError)
                {
                    await WriteErrorAsync(parse).ConfigureAwait(false);
                    return false;
                }

                return true;
            }

            _input.AdvanceTo(reader.Position, buffer.End);
            if (parse.IsError)
            {
                await WriteErrorAsync(parse).ConfigureAwait(false);
                return false;
            }

            if (result.IsCompleted)
            {
                if (started)
                {
                    HttpLog.UnexpectedEndOfInput(_logger, _remoteEndPoint);
                }

                return false;
            }
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ReadBodyAsync()
    {
        var length = _request.ContentLength;
        if (!_request.IsChunked && length <= 0)
        {
            return true;
        }

        if (_request.ExpectContinue)
        {
            // RFC 9110 §10.1.1: the client may wait for this before sending the body. Limits were checked
            // on the head already, so a too-large Content-Length got its 413 instead.
            HttpResponseWriter.WriteContinue(_output);
            await _output.FlushAsync().ConfigureAwait(false);
        }

        // A slow body is a slowloris too: the whole body must arrive within RequestBodyTimeout.
        SetDeadline(_options.RequestBodyTimeout);
        if (_request.IsChunked)
        {
            _chunked.Reset(_options.MaxRequestBodyBytes, _options.MaxRequestHeadersBytes);
            _body.Start(0, _options.MaxRequestBodyBytes);
            while (true)
            {
                var result = await ReadInputAsync().ConfigureAwait(false);
                if (BodyReadStopped(result))
                {
                    return false;
                }

                var buffer = result.Buffer;
                var reader = new SequenceReader<byte>(buffer);
                var parse = _chunked.Decode(ref reader, _body);
                if (parse.IsComplete)
                {
                    _input.AdvanceTo(reader.Position);
                    break;
                }

                _input.AdvanceTo(reader.Position, buffer.End);
                if (parse.IsError)
                {
                    await WriteErrorAsync(parse).ConfigureAwait(false);
                    return false;
                }

                if (result.IsCompleted)
                {
                    HttpLog.UnexpectedEndOfInput(_logger, _remoteEndPoint);
                    return false;
                }
            }
        }
        else
        {
            // Grow with the data rather than trusting Content-Length up front: a claim alone must not cost memory.
            _body.Start((int)Math.Min(length, InitialBodyCapacity), length);
            while (_body.Length < length)
            {
                var result = await ReadInputAsync().ConfigureAwait(false);
                if (BodyReadStopped(result))
                {
                    return false;
                }

                var buffer = result.Buffer;
                var take = Math.Min(buffer.Length, length - _body.Length);
                _body.Append(buffer.Slice(0, take));
                _input.AdvanceTo(buffer.GetPosition(take));
                if (_body.Length < length && result.IsCompleted)
                {
                    HttpLog.UnexpectedEndOfInput(_logger, _remoteEndPoint);
                    return false;
                }
            }
        }

        Volatile.Write(ref _deadline, NoDeadline);
        _request.Body = _body.Detach();
        return true;
    }

    /// <summary>True when a body read was cut short by the body timeout or by shutdown (the connection then closes).</summary>
    private bool BodyReadStopped(in ReadResult result)
    {
        if (!result.IsCanceled)
        {
            return false;
        }

        if (Volatile.Read(ref _deadline) == Expired)
        {
            HttpLog.BodyTimeout(_logger, _remoteEndPoint);
            return true;
        }

        return _shutdownRequested;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> RunApplicationAsync()
    {
        Exception? failure = null;
        try
        {
            var pending = _app.HandleAsync(_context);
            if (!pending.IsCompleted)
            {
                StartWatcher();
            }

            await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        ValueTask? watcher;
        lock (_sync)
        {
            watcher = _watcher;
            _watcher = null;
        }

        if (watcher is { } pendingWatcher)
        {
            await StopWatcherAsync(pendingWatcher).ConfigureAwait(false);
        }

        if (failure is not null)
        {
            HttpLog.ApplicationError(_logger, failure, _request.MethodText, _request.Target, _remoteEndPoint);
        }

        // After an upgrade the connection belongs to the other protocol, which is done now.
        if (_upgraded)
        {
            return false;
        }

        if (_context.IsAborted)
        {
            // The peer is gone: nothing to write to.
            HttpLog.RequestAborted(_logger, _remoteEndPoint);
            return false;
        }

        if (failure is not null)
        {
            // Documented choice: a failing handler yields an empty 500 and the connection is closed,
            // since the state of whatever it was doing is unknown.
            _response.Reset();
            _response.StatusCode = 500;
        }

        var keepAlive = failure is null && _request.KeepAlive && !_shutdownRequested
            && !_response.Headers.ContainsToken("Connection", "close");
        var connection = !keepAlive ? ConnectionHeader.Close
            : _request.Version == 10 ? ConnectionHeader.KeepAlive : ConnectionHeader.None;
        HttpResponseWriter.WriteResponse(_output, _response, _request.Method == HttpMethod.Head, connection, _heartbeat!.DateHeader.GetLine());
        var flush = await _output.FlushAsync().ConfigureAwait(false);
        return keepAlive && !flush.IsCompleted;
    }

    private async ValueTask WriteErrorAsync(HttpParseResult error)
    {
        HttpLog.RequestRejected(_logger, _remoteEndPoint, error.StatusCode, error.Reason);
        _response.Reset();
        _response.StatusCode = error.StatusCode;
        try
        {
            _app.OnRequestError(error.StatusCode, _response);
        }
        catch (Exception ex)
        {
            HttpLog.OnRequestErrorFailed(_logger, ex, error.StatusCode, _remoteEndPoint);
            _response.Reset();
            _response.StatusCode = error.StatusCode;
        }

        HttpResponseWriter.WriteResponse(_output, _response, isHeadRequest: false, ConnectionHeader.Close, _heartbeat!.DateHeader.GetLine());
        await _output.FlushAsync().ConfigureAwait(false);
    }

    private void StartWatcher()
    {
        lock (_sync)
        {
            // An application that upgraded synchronously owns the input already.
            if (_upgraded)
            {
                return;
            }

            _stopWatching = false;
#pragma warning disable CA2012 // consumed exactly once: whoever takes it out of _watcher (under _sync) awaits it
            _watcher = WatchInputAsync();
#pragma warning restore CA2012
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask StopWatcherAsync(ValueTask watcher)
    {
        _stopWatching = true;
        if (!watcher.IsCompleted)
        {
            // May still arrive after the watcher returned for another reason; such a stale cancellation
            // is harmless to the request loop (see the class remarks) and cleared before an upgrade.
            CancelPendingReadSafe();
        }

        await watcher.ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the input while the handler is pending, to notice a peer that closed its side. Whatever
    /// read it ends with is not advanced but handed over (<see cref="HoldRead"/>) to the request loop
    /// or the upgraded protocol. The watcher never marks bytes as examined: PipeReader forbids moving
    /// the examined position backwards, so bytes it had examined would stay invisible to the next
    /// ReadAsync until more data came. Hence, when bytes of a pipelined request arrive, it stops
    /// watching and keeps them for the request loop; a peer closing after that is noticed when the
    /// next request is read (browsers never pipeline, so this costs nothing in practice).
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WatchInputAsync()
    {
        try
        {
            // The read is started here, inside StartWatcher: while it waits (the usual case: a long-polling GET whose
            // client has nothing more to say) its continuation runs wherever the input's reader scheduler puts it — on
            // the connection's shard — with no thread hop to get the watch going (a hop per long-polling GET cost S6
            // a thread-pool wake-up and its spinning per ack).
            var pending = _input.ReadAsync();
            if (pending.IsCompleted)
            {
                // Bytes or the peer's end are already there. Never handle them inline in StartWatcher (under _sync,
                // inside the handler's caller): a peer that is already gone would run the application's cancellation
                // callbacks there.
                await Task.Yield();
            }

            while (true)
            {
                var result = await pending.ConfigureAwait(false);
                if (result.IsCompleted)
                {
                    HoldRead(result);
                    _context.Abort();
                    return;
                }

                if ((result.IsCanceled && _stopWatching) || !result.Buffer.IsEmpty)
                {
                    HoldRead(result);
                    return;
                }

                // A cancellation meant for the request loop (shutdown, heartbeat) on an empty buffer.
                _input.AdvanceTo(result.Buffer.Start);
                pending = _input.ReadAsync();
            }
        }
        catch (Exception ex)
        {
            // A broken input is a gone peer as far as the handler is concerned.
            HttpLog.ConnectionError(_logger, ex, _remoteEndPoint);
            _context.Abort();
        }
    }

    /// <summary>Keeps a read result whose buffer has not been advanced yet; the next <see cref="ReadInputAsync"/> returns it.</summary>
    private void HoldRead(in ReadResult result)
    {
        _heldRead = result;
        _hasHeldRead = true;
    }

    /// <summary>All request-loop reads go through here, so a read handed over by the watcher is consumed first.</summary>
    private ValueTask<ReadResult> ReadInputAsync()
    {
        if (_hasHeldRead)
        {
            _hasHeldRead = false;
            var held = _heldRead;
            _heldRead = default;
            return new ValueTask<ReadResult>(held);
        }

        return _input.ReadAsync();
    }

    /// <summary>Publishes a deadline; false when the previous one had already expired.</summary>
    private bool SetDeadline(TimeSpan timeout)
    {
        var deadline = NoDeadline;
        if (timeout > TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            var now = _heartbeat!.NowTicks;
            deadline = timeout.Ticks >= NoDeadline - now ? NoDeadline : now + timeout.Ticks;
        }

        return Interlocked.Exchange(ref _deadline, deadline) != Expired;
    }

    private void LogTimeout(bool idle)
    {
        if (idle)
        {
            HttpLog.KeepAliveTimeout(_logger, _remoteEndPoint);
        }
        else
        {
            HttpLog.HeadersTimeout(_logger, _remoteEndPoint);
        }
    }

    private void OnShutdown()
    {
        _shutdownRequested = true;
        CancelPendingReadSafe();
    }

    private void CancelPendingReadSafe()
    {
        try
        {
            _input.CancelPendingRead();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            // The reader was completed concurrently; nothing left to wake.
        }
    }

    private async ValueTask CompleteTransportAsync()
    {
        try
        {
            await _input.CompleteAsync().ConfigureAwait(false);
            await _output.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            HttpLog.ConnectionError(_logger, ex, _remoteEndPoint);
        }
    }
}
