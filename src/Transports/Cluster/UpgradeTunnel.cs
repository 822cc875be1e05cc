using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using FastIo.Transports.Http;
using Microsoft.Extensions.Logging;

namespace FastIo.Transports.Cluster;

/// <summary>
/// Carries a WebSocket upgrade for a session another node owns to that node: a fresh TCP connection to the owner, the
/// request head replayed (with the signed forwarding fields), then bytes copied both ways until either side closes.
/// The owner answers the handshake itself (101, or 400 when it no longer knows the session), so the client sees
/// exactly what a direct connection would show it.
/// </summary>
/// <remarks>
/// A tunnel rather than a redirect: clients do not follow redirects on a WebSocket handshake. One connection per
/// tunnel (not the pooled ones): a WebSocket holds its connection for its whole life.
/// </remarks>
internal static partial class UpgradeTunnel
{
    private const int ReceiveBlock = 4096;

    /// <summary>
    /// Connects to <paramref name="address"/> and, once connected, takes the client's connection over and runs the
    /// tunnel until it ends; false, with nothing answered, when the owner cannot be reached.
    /// </summary>
    public static async ValueTask<bool> TryRunAsync(HttpContext context, string address, NodeForwarder forwarder, TimeSpan connectTimeout, ILogger logger, CancellationToken shutdown)
    {
        if (!NodeAddress.TryParse(address, out var host, out var port))
        {
            Log.BadAddress(logger, address);
            return false;
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, shutdown);
            timeout.CancelAfter(connectTimeout);
            await socket.ConnectAsync(host, port, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            if (context.RequestAborted.IsCancellationRequested)
            {
                return true; // the client is gone: nothing to answer
            }

            Log.Unreachable(logger, address, e.Message);
            return false;
        }

        var head = BuildHead(context.Request, forwarder);
        var client = await context.DetachAsync().ConfigureAwait(false);
        await RunAsync(client, socket, head, logger, shutdown).ConfigureAwait(false);
        return true;
    }

    /// <summary>The request head as the client sent it, minus any forwarding fields of its own, plus ours.</summary>
    internal static byte[] BuildHead(HttpRequest request, NodeForwarder forwarder)
    {
        var text = new StringBuilder(512);
        text.Append(request.MethodText).Append(' ').Append(request.Target).Append(" HTTP/1.1\r\n");
        foreach (var (name, value) in request.Headers)
        {
            if (!ForwardedHeaders.IsOwn(name))
            {
                text.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }

        var (forwardedBy, clientAddress, signature) = forwarder.ForwardingFields(request, request.GetQuery("sid"));
        text.Append(ForwardedHeaders.ForwardedBy).Append(": ").Append(forwardedBy).Append("\r\n");
        text.Append(ForwardedHeaders.Client).Append(": ").Append(clientAddress).Append("\r\n");
        text.Append(ForwardedHeaders.Signature).Append(": ").Append(signature).Append("\r\n\r\n");

        // Latin-1 gives back the bytes the parser accepted (field values may carry obs-text).
        return Encoding.Latin1.GetBytes(text.ToString());
    }

    private static async Task RunAsync(IDuplexPipe client, Socket owner, byte[] head, ILogger logger, CancellationToken shutdown)
    {
        // Whichever direction ends first ends the other: the socket's dispose fails its pending receive, and the
        // cancelled read stops the client pump.
        using var registration = shutdown.UnsafeRegister(static s => ((Socket)s!).Dispose(), owner);
        try
        {
            await owner.SendAsync(head, SocketFlags.None, shutdown).ConfigureAwait(false);
            var upstream = PumpToOwnerAsync(client.Input, owner, shutdown);
            var downstream = PumpToClientAsync(owner, client.Output);
            await Task.WhenAny(upstream, downstream).ConfigureAwait(false);
            owner.Dispose();
            client.Input.CancelPendingRead();
            await Task.WhenAll(upstream, downstream).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            Log.Broken(logger, e);
        }
        finally
        {
            owner.Dispose();
        }
    }

    private static async Task PumpToOwnerAsync(PipeReader input, Socket owner, CancellationToken shutdown)
    {
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(CancellationToken.None).ConfigureAwait(false); // ended by CancelPendingRead
                var buffer = result.Buffer;
                if (result.IsCanceled && (shutdown.IsCancellationRequested || owner.SafeHandle.IsClosed))
                {
                    input.AdvanceTo(buffer.Start);
                    return;
                }

                foreach (var segment in buffer)
                {
                    await owner.SendAsync(segment, SocketFlags.None, shutdown).ConfigureAwait(false);
                }

                input.AdvanceTo(buffer.End);
                if (result.IsCompleted)
                {
                    owner.Shutdown(SocketShutdown.Send);
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The owner side is gone (or the tunnel is being torn down).
        }
    }

    private static async Task PumpToClientAsync(Socket owner, PipeWriter output)
    {
        try
        {
            while (true)
            {
                // Wait with a zero-byte receive, so an idle tunnel (a quiet WebSocket) holds no buffer.
                await owner.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                var memory = output.GetMemory(ReceiveBlock);
                var n = await owner.ReceiveAsync(memory, SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    return;
                }

                output.Advance(n);
                var flush = await output.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or InvalidOperationException)
        {
            // The owner reset the connection, or the tunnel is being torn down.
        }
    }

    private static partial class Log
    {
        [LoggerMessage(72, LogLevel.Warning, "The directory gave node address {Address}, which is not host:port")]
        public static partial void BadAddress(ILogger logger, string address);

        [LoggerMessage(73, LogLevel.Information, "Node at {Address} is unreachable for a WebSocket upgrade ({Reason}): answered as unknown")]
        public static partial void Unreachable(ILogger logger, string address, string reason);

        [LoggerMessage(74, LogLevel.Debug, "A WebSocket tunnel to the owner node broke")]
        public static partial void Broken(ILogger logger, Exception exception);
    }
}
