using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using FastIo.EngineIO;
using FastIo.SocketIO;
using FastIo.Transports.Hosting;
using Microsoft.Extensions.Logging;
using Socket = System.Net.Sockets.Socket;
using NUnit.Framework;

namespace FastIo.Tests.Hosting;

/// <summary>
/// <see cref="FastIoHost.StopAsync"/> against WebSockets that the host no longer tracks with a pending frame (their
/// end closes them, <c>AcceptedConnection.EndWhenEnded</c>): it still returns only once their sockets are closed,
/// or once the shutdown timeout cut them.
/// </summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class HostStopTests
{
    // The peer never answers the close frame, so the WebSocket ends at its close timeout, and the socket closes after
    // the lingering close (the peer sends no FIN either): StopAsync must wait for that close, not only for the session.
    [TestCase(SocketEngine.Managed)]
    [TestCase(SocketEngine.Epoll)]
    public async Task StopAsync_returns_once_the_socket_of_a_silent_WebSocket_peer_is_closed(SocketEngine engine)
    {
        using var io = new SocketIOServer();
        var host = await StartAsync(io, engine, closeTimeout: TimeSpan.FromMilliseconds(300), shutdownTimeout: TimeSpan.FromSeconds(30), logs: null);
        using var client = await OpenWebSocketAsync(host);

        var stopping = Stopwatch.StartNew();
        await host.StopAsync();
        var stopped = stopping.Elapsed;

        var closed = await IsClosedAsync(client, TimeSpan.FromMilliseconds(500));
        Assert.Multiple(() =>
        {
            Assert.That(closed, Is.True, "the socket was still open when StopAsync returned");
            Assert.That(stopped, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250)), "StopAsync waited for the close timeout");

            // Close timeout (0.3 s) + drain and linger (2 s each at most) is far below the 30 s shutdown timeout: a
            // WebSocket whose end did not stop counting its connection would make StopAsync wait all of it.
            Assert.That(stopped, Is.LessThan(TimeSpan.FromSeconds(10)), "StopAsync waited out the shutdown timeout: the WebSocket's connection was still counted");
        });
        await host.DisposeAsync();
    }

    [TestCase(SocketEngine.Managed)]
    [TestCase(SocketEngine.Epoll)]
    public async Task StopAsync_cuts_after_the_shutdown_timeout_and_counts_the_open_connections(SocketEngine engine)
    {
        var logs = new CapturingLoggerProvider();
        using var io = new SocketIOServer();
        var host = await StartAsync(io, engine, closeTimeout: TimeSpan.FromSeconds(30), shutdownTimeout: TimeSpan.FromMilliseconds(500), logs);
        using var first = await OpenWebSocketAsync(host);
        using var second = await OpenWebSocketAsync(host);

        var stopping = Stopwatch.StartNew();
        await host.StopAsync();
        Assert.Multiple(() =>
        {
            Assert.That(stopping.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));
            Assert.That(logs.Entries.Select(e => e.Message), Has.Some.EqualTo("Shutdown timeout: cut 2 connections"));
        });
        first.Close();
        second.Close();
        await host.DisposeAsync();
    }

    // The connection count is what MaxConnections and StopAsync rely on; a WebSocket is no longer awaited by the host's
    // frame but counted until its end closes it (AcceptedConnection.EndWhenEnded), so its end must give the slot back.
    [TestCase(SocketEngine.Managed)]
    [TestCase(SocketEngine.Epoll)]
    public async Task A_WebSocket_that_ends_gives_its_connection_slot_back(SocketEngine engine)
    {
        using var io = new SocketIOServer();
        var host = await StartAsync(io, engine, closeTimeout: TimeSpan.FromMilliseconds(300), shutdownTimeout: TimeSpan.FromSeconds(1), logs: null, maxConnections: 1);
        for (var i = 0; i < 3; i++)
        {
            using var client = await OpenWebSocketAsync(host); // waits in the backlog (and times out) if a slot leaked
            client.Shutdown(SocketShutdown.Send); // the peer's FIN: the WebSocket ends, then its connection closes
            var buffer = new byte[4096];
            while (await client.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10)) > 0)
            {
            }
        }

        await host.DisposeAsync();
    }

    private static async Task<FastIoHost> StartAsync(SocketIOServer io, SocketEngine engine, TimeSpan closeTimeout, TimeSpan shutdownTimeout, CapturingLoggerProvider? logs, int? maxConnections = null)
    {
        var options = new FastIoHostOptions
        {
            MaxConnections = maxConnections,
            SocketEngine = engine,
            ShutdownTimeout = shutdownTimeout,
            Engine = new EngineOptions { PingInterval = TimeSpan.FromHours(1), PingTimeout = TimeSpan.FromHours(1) },
        };
        options.WebSocket.CloseTimeout = closeTimeout;
        options.Endpoints.Add(new IPEndPoint(IPAddress.Loopback, 0));
        var loggers = LoggerFactory.Create(b =>
        {
            if (logs is not null)
            {
                b.AddProvider(logs);
            }
        });
        var host = new FastIoHost(options, io, loggers);
        await host.StartAsync();
        return host;
    }

    /// <summary>A raw Engine.IO WebSocket that has read its 101 and OPEN packet and then reads nothing more.</summary>
    private static async Task<Socket> OpenWebSocketAsync(FastIoHost host)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync((IPEndPoint)host.ListeningEndpoints[0]);
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n" +
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!received.ToString().Contains("\"sid\"", StringComparison.Ordinal))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(TimeSpan.FromSeconds(10));
            Assert.That(read, Is.Positive, "the server closed before the OPEN packet");
            received.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }

        Assert.That(received.ToString(), Does.StartWith("HTTP/1.1 101"));
        return socket;
    }

    /// <summary>
    /// Whether the server's socket is closed, not only shut down for sending: after its FIN (our FIN-less peer is
    /// lingered for, up to 2 s, by a server that is still open), bytes we send are answered with a reset only by a
    /// closed socket.
    /// </summary>
    private static async Task<bool> IsClosedAsync(Socket socket, TimeSpan within)
    {
        var clock = Stopwatch.StartNew();
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(within) != 0)
            {
                // the rest of the close frame
            }

            while (clock.Elapsed < within)
            {
                await socket.SendAsync(new byte[] { 1 }, SocketFlags.None);
                await Task.Delay(20);
                await socket.ReceiveAsync(buffer, SocketFlags.None).WaitAsync(within);
            }

            return false;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted)
        {
            return true;
        }
    }
}
