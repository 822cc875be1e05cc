using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using NUnit.Framework;

namespace FastIo.Tests.Hosting;

/// <summary>
/// A Socket.IO v5 client written out frame by frame over <see cref="ClientWebSocket"/> (Engine.IO v4 text packets:
/// <c>0</c> open, <c>2</c>/<c>3</c> ping/pong, <c>4</c> message carrying <c>40</c> connect, <c>42</c> event, <c>43</c> ack),
/// so the tests see exactly what the server put on the wire.
/// </summary>
internal sealed class RawSocketIOClient : IAsyncDisposable
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(5);
    private readonly ClientWebSocket _ws = new();
    private readonly Channel<string> _received = Channel.CreateUnbounded<string>();
    private readonly List<string> _skipped = new();
    private Task? _receiveLoop;

    /// <summary>The socket id of the main namespace once connected.</summary>
    public string? Sid { get; private set; }

    /// <summary>The WebSocket close status once the server closed, null before.</summary>
    public WebSocketCloseStatus? CloseStatus => _ws.CloseStatus;

    /// <summary>Completes when the server ended the connection (close frame or cut).</summary>
    public Task Closed => _receiveLoop ?? Task.CompletedTask;

    /// <summary>Opens the Engine.IO session over WebSocket and returns the OPEN packet's JSON.</summary>
    public async Task<JsonElement> OpenAsync(int port)
    {
        await _ws.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"), CancellationToken.None);
        _receiveLoop = ReceiveLoopAsync();
        var open = await NextAsync(m => m.StartsWith('0'));
        return JsonDocument.Parse(open.AsMemory(1)).RootElement;
    }

    /// <summary>Opens and connects to the main namespace; returns the socket id from <c>40{"sid":…}</c>.</summary>
    public async Task<string> ConnectAsync(int port, string? auth = null)
    {
        await OpenAsync(port);
        await SendAsync(auth is null ? "40" : "40" + auth);
        var connect = await NextAsync(m => m.StartsWith("40", StringComparison.Ordinal));
        Sid = JsonDocument.Parse(connect.AsMemory(2)).RootElement.GetProperty("sid").GetString()!;
        return Sid;
    }

    public Task SendAsync(string text) =>
        _ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Emits <c>42[…]</c> (or <c>42&lt;ackId&gt;[…]</c>) with the arguments serialized as JSON.</summary>
    public Task EmitAsync(string eventName, long? ackId = null, params object?[] args)
    {
        var array = new object?[args.Length + 1];
        array[0] = eventName;
        args.CopyTo(array, 1);
        return SendAsync("42" + ackId + JsonSerializer.Serialize(array));
    }

    /// <summary>The next event named <paramref name="eventName"/>, as its argument array (without the name).</summary>
    public async Task<JsonElement[]> NextEventAsync(string eventName)
    {
        var prefix = "42[" + JsonSerializer.Serialize(eventName);
        var packet = await NextAsync(m => m.StartsWith(prefix, StringComparison.Ordinal));
        var array = JsonDocument.Parse(packet.AsMemory(2)).RootElement;
        var args = new JsonElement[array.GetArrayLength() - 1];
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = array[i + 1];
        }

        return args;
    }

    /// <summary>The acknowledgement <c>43&lt;ackId&gt;[…]</c>, as its argument array.</summary>
    public async Task<JsonElement> NextAckAsync(long ackId)
    {
        var prefix = "43" + ackId + "[";
        var packet = await NextAsync(m => m.StartsWith(prefix, StringComparison.Ordinal));
        return JsonDocument.Parse(packet.AsMemory(prefix.Length - 1)).RootElement;
    }

    /// <summary>
    /// The next packet that matches, within 5 s; packets that do not match are kept aside (see <see cref="Skipped"/>)
    /// so a test can assert that something was never sent.
    /// </summary>
    public async Task<string> NextAsync(Func<string, bool> match)
    {
        using var timeout = new CancellationTokenSource(s_timeout);
        try
        {
            while (true)
            {
                var message = await _received.Reader.ReadAsync(timeout.Token);
                if (match(message))
                {
                    return message;
                }

                _skipped.Add(message);
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no matching packet within {s_timeout.TotalSeconds} s; got: {string.Join(" | ", _skipped)}");
            throw;
        }
        catch (ChannelClosedException)
        {
            Assert.Fail($"the server closed the connection; got: {string.Join(" | ", _skipped)}");
            throw;
        }
    }

    /// <summary>Every packet received that no <see cref="NextAsync"/> asked for, plus what is queued now.</summary>
    public IReadOnlyList<string> Skipped
    {
        get
        {
            while (_received.Reader.TryRead(out var message))
            {
                _skipped.Add(message);
            }

            return _skipped;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_ws.State == WebSocketState.Open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(s_timeout);
                await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException)
            {
            }
        }

        if (_receiveLoop is not null)
        {
            await _receiveLoop.WaitAsync(s_timeout).ContinueWith(static _ => { }, TaskScheduler.Default);
        }

        _ws.Dispose();
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[64 * 1024];
        var message = new MemoryStream();
        try
        {
            while (true)
            {
                var result = await _ws.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // ClientWebSocket does not answer a close frame by itself (RFC 6455 §5.5.1 wants the echo);
                    // without it the server would wait out its close timeout.
                    await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                    return;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var text = Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length);
                message.SetLength(0);
                if (text == "2")
                {
                    // Engine.IO v4 heartbeat: the server pings, the client answers.
                    await SendAsync("3");
                    continue;
                }

                _received.Writer.TryWrite(text);
            }
        }
        catch (WebSocketException)
        {
            // The server cut the connection: the same end as a close frame for these tests.
        }
        finally
        {
            _received.Writer.TryComplete();
        }
    }
}
