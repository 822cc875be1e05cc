using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace FastIo.Tests.Hosting;

/// <summary>
/// An Engine.IO v4 / Socket.IO v5 client over real loopback that only receives: over WebSocket, over long-polling, or
/// long-polling upgraded to WebSocket while messages flow (probe, pause polling, <c>5</c>, as engine.io-client does).
/// It records every EVENT text exactly as it arrived (<c>2[…]</c>), in arrival order, and can be killed or closed.
/// </summary>
internal sealed class BroadcastTestClient : IAsyncDisposable
{
    private const char RecordSeparator = '\u001e';
    private readonly int _port;
    private readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }) { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _kill = new();
    private readonly List<string> _events = new();
    private ClientWebSocket? _ws;
    private Task _receiving = Task.CompletedTask;
    private volatile bool _pausePolling;

    private BroadcastTestClient(int port) => _port = port;

    /// <summary>The Engine.IO session id.</summary>
    public string EngineId { get; private set; } = "";

    /// <summary>The socket id of the main namespace.</summary>
    public string Sid { get; private set; } = "";

    /// <summary>How the client receives now.</summary>
    public string Transport => _ws is null ? "polling" : "websocket";

    /// <summary>Completes when the client stopped receiving (the server ended the session, or it was killed).</summary>
    public Task Receiving => _receiving;

    /// <summary>A snapshot of the events received so far, as their Socket.IO text.</summary>
    public string[] Events
    {
        get
        {
            lock (_events)
            {
                return _events.ToArray();
            }
        }
    }

    /// <summary>The number of events received so far.</summary>
    public int EventCount
    {
        get
        {
            lock (_events)
            {
                return _events.Count;
            }
        }
    }

    /// <summary>Opens a session over WebSocket and connects to the main namespace.</summary>
    public static async Task<BroadcastTestClient> ConnectWebSocketAsync(int port)
    {
        var client = new BroadcastTestClient(port);
        var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"), CancellationToken.None);
        client._ws = ws;
        var open = await client.ReceiveTextAsync(ws);
        client.EngineId = JsonDocument.Parse(open.AsMemory(1)).RootElement.GetProperty("sid").GetString()!;
        await SendTextAsync(ws, "40");
        var connect = await client.ReceiveTextAsync(ws);
        client.Sid = JsonDocument.Parse(connect.AsMemory(2)).RootElement.GetProperty("sid").GetString()!;
        client._receiving = client.ReceiveWebSocketAsync(ws);
        return client;
    }

    /// <summary>Opens a session over long-polling and connects to the main namespace.</summary>
    public static async Task<BroadcastTestClient> ConnectPollingAsync(int port)
    {
        var client = new BroadcastTestClient(port);
        var open = await client._http.GetStringAsync(client.PollingUri(null));
        client.EngineId = JsonDocument.Parse(open.AsMemory(1)).RootElement.GetProperty("sid").GetString()!;
        await client.PostAsync("40");
        while (client.Sid.Length == 0)
        {
            foreach (var packet in (await client._http.GetStringAsync(client.PollingUri(client.EngineId))).Split(RecordSeparator))
            {
                if (packet.StartsWith("40{", StringComparison.Ordinal))
                {
                    client.Sid = JsonDocument.Parse(packet.AsMemory(2)).RootElement.GetProperty("sid").GetString()!;
                }
            }
        }

        client._receiving = client.PollAsync();
        return client;
    }

    /// <summary>Upgrades a polling session to WebSocket: probe, let the running GET finish, stop polling, send <c>5</c>.</summary>
    public async Task UpgradeAsync()
    {
        var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{_port}/socket.io/?EIO=4&transport=websocket&sid={EngineId}"), CancellationToken.None);
        await SendTextAsync(ws, "2probe");
        var probe = await ReceiveTextAsync(ws);
        if (probe != "3probe")
        {
            throw new InvalidOperationException($"probe answered with {probe}");
        }

        // Everything polling delivers comes before anything on the WebSocket: the server switches only on "5".
        _pausePolling = true;
        await _receiving;
        await SendTextAsync(ws, "5");
        _ws = ws;
        _receiving = ReceiveWebSocketAsync(ws);
    }

    /// <summary>Cuts the connection without a word (an aborted WebSocket, or a GET whose connection goes away).</summary>
    public void Kill()
    {
        _kill.Cancel();
        _ws?.Abort();
    }

    /// <summary>Sends the Engine.IO close packet, as a client that leaves does.</summary>
    public async Task CloseAsync()
    {
        if (_ws is { } ws)
        {
            await SendTextAsync(ws, "1");
        }
        else
        {
            await PostAsync("1");
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _receiving;
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or HttpRequestException or IOException or ObjectDisposedException)
        {
            // Killed.
        }

        _ws?.Dispose();
        _http.Dispose();
        _kill.Dispose();
    }

    private Uri PollingUri(string? sid) =>
        new($"http://127.0.0.1:{_port}/socket.io/?EIO=4&transport=polling" + (sid is null ? "" : "&sid=" + sid));

    private async Task PostAsync(string payload)
    {
        using var content = new StringContent(payload, Encoding.UTF8, "text/plain");
        using var response = await _http.PostAsync(PollingUri(EngineId), content, _kill.Token);
        response.EnsureSuccessStatusCode();
    }

    private async Task PollAsync()
    {
        try
        {
            while (!_pausePolling)
            {
                using var response = await _http.GetAsync(PollingUri(EngineId), _kill.Token);
                if (!response.IsSuccessStatusCode)
                {
                    return; // the session is gone
                }

                foreach (var packet in (await response.Content.ReadAsStringAsync(_kill.Token)).Split(RecordSeparator))
                {
                    if (!await OnPacketAsync(packet, null))
                    {
                        return;
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
        {
            // Killed, or the server cut the connection.
        }
    }

    private async Task ReceiveWebSocketAsync(ClientWebSocket ws)
    {
        try
        {
            while (ws.State == WebSocketState.Open)
            {
                if (!await OnPacketAsync(await ReceiveTextAsync(ws), ws))
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException or ObjectDisposedException)
        {
            // Killed (an aborted ClientWebSocket is disposed), or the server ended the connection.
        }
    }

    /// <summary>Handles one Engine.IO packet; false when the session ended.</summary>
    private async Task<bool> OnPacketAsync(string packet, ClientWebSocket? ws)
    {
        if (packet.StartsWith("42", StringComparison.Ordinal))
        {
            lock (_events)
            {
                _events.Add(packet[1..]);
            }
        }
        else if (packet == "2")
        {
            if (ws is null)
            {
                await PostAsync("3");
            }
            else
            {
                await SendTextAsync(ws, "3");
            }
        }
        else if (packet == "1" || packet.StartsWith("41", StringComparison.Ordinal))
        {
            return false;
        }

        return true;
    }

    private async Task<string> ReceiveTextAsync(ClientWebSocket ws)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        while (true)
        {
            var result = await ws.ReceiveAsync(buffer.GetMemory(64 * 1024), _kill.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new EndOfStreamException("closed by the server");
            }

            buffer.Advance(result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(buffer.WrittenSpan);
            }
        }
    }

    private static Task SendTextAsync(ClientWebSocket ws, string text) =>
        ws.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);
}
