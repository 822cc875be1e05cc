using System.Text;
using FastIo.Transports.Http;
using NUnit.Framework;

namespace FastIo.Tests.Http;

/// <summary>
/// A connection's objects (context, request, response, header lists, parser) are reused by later connections once it
/// ended or was handed off: nothing of one connection may show through in the next.
/// </summary>
[TestFixture]
public sealed class HttpConnectionReuseTests
{
    [Test]
    public async Task NextConnectionsSeeOnlyTheirOwnRequest()
    {
        // Sequential connections reuse the same pooled objects: each one must see its own fields and target only.
        var app = new TestApplication { Handler = EchoHeaders };
        for (var i = 0; i < 6; i++)
        {
            await using var connection = TestConnection.Start(app);
            var extra = i % 2 == 0 ? "X-Even: " + i + "\r\nX-Tag: even\r\n" : "X-Tag: odd\r\n";
            await connection.SendAsync("GET /r" + i + "?n=" + i + " HTTP/1.1\r\nHost: h" + i + "\r\n" + extra + "Connection: close\r\n\r\n");
            var response = await connection.ReadResponseAsync();
            var expected = i % 2 == 0
                ? $"/r{i}?n={i}|n={i}|Host=h{i};X-Even={i};X-Tag=even;Connection=close;"
                : $"/r{i}?n={i}|n={i}|Host=h{i};X-Tag=odd;Connection=close;";
            Assert.That(response!.Body, Is.EqualTo(expected), $"connection {i}");
            Assert.That(response.Header("X-Reply"), Is.EqualTo(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            Assert.That(response.Header("X-Stale"), Is.Null, $"connection {i}: a response field of an earlier connection");
            await connection.WaitClosedAsync();
        }
    }

    [Test]
    public async Task EachConnectionKeepsItsOwnHeadLimit()
    {
        // A reused parser must take the limit of the options the new connection runs with.
        var head = "GET /x HTTP/1.1\r\nHost: x\r\nX-Pad: " + new string('a', 200) + "\r\n\r\n";
        for (var i = 0; i < 4; i++)
        {
            var small = i % 2 == 0;
            var options = small ? new HttpServerOptions { MaxRequestHeadersBytes = 128 } : new HttpServerOptions();
            var app = new TestApplication();
            await using var connection = TestConnection.Start(app, options);
            await connection.SendAsync(head);
            var response = await connection.ReadResponseAsync();
            Assert.That(response!.StatusCode, Is.EqualTo(small ? 431 : 200), $"connection {i}");
        }
    }

    [Test]
    public async Task UpgradedConnectionLeavesNothingToTheNext()
    {
        var upgraded = new TestApplication
        {
            Handler = async context =>
            {
                context.Response.Headers.Add("Upgrade", "test");
                context.Response.Headers.Add("Connection", "Upgrade");
                var pipe = await context.AcceptUpgradeAsync();
                context.HandOff(RunProtocolAsync(pipe));
            },
        };
        await using (var first = TestConnection.Start(upgraded))
        {
            await first.SendAsync("GET /up HTTP/1.1\r\nHost: x\r\nUpgrade: test\r\nConnection: Upgrade\r\nX-Old: 1\r\n\r\n");
            var switched = await first.ReadResponseAsync();
            Assert.That(switched!.StatusCode, Is.EqualTo(101));
            var protocol = await first.Run.WaitAsync(TestConnection.Timeout);
            Assert.That(protocol, Is.Not.Null, "handed off");
            await first.SendAsync("ping");
            Assert.That(await first.ReadRawAsync(4), Is.EqualTo("pong"));
            await first.CompleteOutputAsync();
            await protocol!.WaitAsync(TestConnection.Timeout);
        }

        var app = new TestApplication { Handler = EchoHeaders };
        await using var next = TestConnection.Start(app);
        await next.SendAsync("GET /next HTTP/1.1\r\nHost: y\r\n\r\n");
        var response = await next.ReadResponseAsync();
        Assert.That(response!.StatusCode, Is.EqualTo(200));
        Assert.That(response.Body, Is.EqualTo("/next||Host=y;"));
        Assert.That(response.Header("Upgrade"), Is.Null);
    }

    private static ValueTask EchoHeaders(HttpContext context)
    {
        var request = context.Request;
        var text = new StringBuilder(request.Target).Append('|').Append(request.QueryString).Append('|');
        foreach (var (name, value) in request.Headers)
        {
            text.Append(name).Append('=').Append(value).Append(';');
        }

        if (context.Response.Headers.Count != 0)
        {
            context.Response.Headers.Add("X-Stale", "1");
        }

        context.Response.Headers.Add("X-Reply", request.GetQuery("n") ?? "none");
        context.Response.SetBody(Encoding.UTF8.GetBytes(text.ToString()), "text/plain");
        return default;
    }

    private static async Task RunProtocolAsync(System.IO.Pipelines.IDuplexPipe pipe)
    {
        while (true)
        {
            var result = await pipe.Input.ReadAsync();
            var buffer = result.Buffer;
            if (buffer.Length >= 4)
            {
                pipe.Input.AdvanceTo(buffer.GetPosition(4));
                await pipe.Output.WriteAsync("pong"u8.ToArray());
                continue;
            }

            pipe.Input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                await pipe.Input.CompleteAsync();
                await pipe.Output.CompleteAsync();
                return;
            }
        }
    }
}
