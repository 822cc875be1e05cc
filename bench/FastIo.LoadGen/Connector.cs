using System.Net;

namespace FastIo.LoadGen;

/// <summary>Opens many Socket.IO clients with a bounded number of handshakes in flight.</summary>
internal static class Connector
{
    /// <summary>Receive buffer per client: small, since thousands of idle clients each hold one.</summary>
    public const int ReceiveBufferSize = 4096;

    /// <summary>
    /// Connects <paramref name="count"/> clients, numbered from <paramref name="firstIndex"/> (which picks the
    /// source address), straight over WebSocket or over polling then upgraded.
    /// </summary>
    public static async Task<WsClient[]> ConnectManyAsync(IPEndPoint server, int count, int concurrency, bool viaPolling, int firstIndex, ClientSink sink, CancellationToken cancellationToken)
    {
        var clients = new WsClient[count];
        int next = -1;
        var workers = new Task[Math.Min(concurrency, Math.Max(1, count))];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(
                async () =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < count)
                    {
                        var local = Loopback.Source(firstIndex + i);
                        var client = viaPolling
                            ? await ConnectViaPollingAsync(local, server, cancellationToken).ConfigureAwait(false)
                            : await WsClient.ConnectAsync(local, server, null, ReceiveBufferSize, cancellationToken).ConfigureAwait(false);
                        client.Sink = sink;
                        clients[i] = client;
                    }
                },
                cancellationToken);
        }

        try
        {
            await Task.WhenAll(workers).ConfigureAwait(false);
        }
        catch
        {
            DisposeAll(clients);
            throw;
        }

        return clients;
    }

    /// <summary>
    /// The way browsers connect by default: polling handshake, Socket.IO connect over polling, then the WebSocket
    /// upgrade (probe, upgrade packet). The polling connection is dropped once upgraded.
    /// </summary>
    public static async Task<WsClient> ConnectViaPollingAsync(IPAddress local, IPEndPoint server, CancellationToken cancellationToken)
    {
        using var http = await HttpLite.ConnectAsync(local, server, cancellationToken).ConfigureAwait(false);
        var (status, open) = await http.SendAsync("GET", "/socket.io/?EIO=4&transport=polling", null, cancellationToken).ConfigureAwait(false);
        Expect(status, open);
        var sid = HttpLite.ParseSid(open);
        var target = "/socket.io/?EIO=4&transport=polling&sid=" + sid;
        var (postStatus, postBody) = await http.SendAsync("POST", target, "40", cancellationToken).ConfigureAwait(false);
        Expect(postStatus, postBody);
        var (getStatus, connected) = await http.SendAsync("GET", target, null, cancellationToken).ConfigureAwait(false);
        Expect(getStatus, connected);
        if (connected.Length < 2 || connected[0] != '4' || connected[1] != '0')
        {
            throw new IOException("no Socket.IO connect over polling: " + System.Text.Encoding.UTF8.GetString(connected));
        }

        return await WsClient.ConnectAsync(local, server, sid, ReceiveBufferSize, cancellationToken).ConfigureAwait(false);
    }

    public static void DisposeAll(WsClient?[] clients)
    {
        foreach (var client in clients)
        {
            client?.Dispose();
        }
    }

    private static void Expect(int status, byte[] body)
    {
        if (status != 200)
        {
            throw new IOException($"HTTP {status}: " + System.Text.Encoding.UTF8.GetString(body));
        }
    }
}
