using System.Text;
using FastIo.Transports.Http;
using Microsoft.Extensions.Time.Testing;
using NUnit.Framework;

namespace FastIo.Tests.Http;

[TestFixture]
public sealed class HttpConnectionTests
{
    private const string Get = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";

    [Test]
    public async Task KeepAliveServesSequentialRequests()
    {
        var app = new TestApplication();
        await using var connection = TestConnection.Start(app);

        await connection.SendAsync("GET /one?x=1 HTTP/1.1\r\nHost: x\r\n\r\n");
        var first = await connection.ReadResponseAsync();
        await connection.SendAsync("POST /two HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody");
        var second = await connection.ReadResponseAsync();

        Assert.That(first!.StatusLine, Is.EqualTo("HTTP/1.1 200 OK"));
        Assert.That(first.Body, Is.EqualTo("ok:GET /one?x=1:"));
        Assert.That(first.Header("Content-Type"), Is.EqualTo("text/plain"));
        Assert.That(first.Header("Content-Length"), Is.EqualTo("16"));
        Assert.That(first.Header("Connection"), Is.Null);
        Assert.That(second!.Body, Is.EqualTo("ok:POST /two:body"));
        Assert.That(connection.Run.IsCompleted, Is.False);
    }

    [Test]
    public async Task DateHeaderIsImfFixdate()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(1994, 11, 6, 8, 49, 37, TimeSpan.Zero));
        await using var connection = TestConnection.Start(new TestApplication(), new HttpServerOptions { TimeProvider = time });
        await connection.SendAsync(Get);
        var response = await connection.ReadResponseAsync();
        Assert.That(response!.Header("Date"), Is.EqualTo("Sun, 06 Nov 1994 08:49:37 GMT"));
    }

    [Test]
    public async Task PipelinedRequestsAreAnsweredInOrder()
    {
        var app = new TestApplication();
        await using var connection = TestConnection.Start(app);

        await connection.SendAsync(
            "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n" +
            "POST /2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" +
            "POST /3 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi" +
            "GET /4 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");

        Assert.That((await connection.ReadResponseAsync())!.Body, Is.EqualTo("ok:GET /1:"));
        Assert.That((await connection.ReadResponseAsync())!.Body, Is.EqualTo("ok:POST /2:abc"));
        Assert.That((await connection.ReadResponseAsync())!.Body, Is.EqualTo("ok:POST /3:hi"));
        var last = await connection.ReadResponseAsync();
        Assert.That(last!.Body, Is.EqualTo("ok:GET /4:"));
        Assert.That(last.Header("Connection"), Is.EqualTo("close"));
        Assert.That(await connection.ReadToEndAsync(), Is.Empty);
        await connection.WaitClosedAsync();
    }

    [Test]
    public async Task RequestFedByteByByteIsServed()
    {
        await using var connection = TestConnection.Start(new TestApplication());
        foreach (var b in Encoding.ASCII.GetBytes("POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;e=1\r\nok\r\n0\r\nT: 1\r\n\r\n"))
        {
            await connection.SendAsync([b]);
        }

        Assert.That((await connection.ReadResponseAsync())!.Body, Is.EqualTo("ok:POST /b:ok"));
    }

    [Test]
    public async Task ConnectionCloseClosesAfterResponse()
    {
        await using var connection = TestConnection.Start(new TestApplication());
        await connection.SendAsync("GET /a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /ignored HTTP/1.1\r\nHost: x\r\n\r\n");
        var response = await connection.ReadResponseAsync();
        Assert.That(response!.Header("Connection"), Is.EqualTo("close"));
        Assert.That(await connection.ReadToEndAsync(), Is.Empty);
        await connection.WaitClosedAsync();
    }

    [Test]
    public async Task ApplicationConnectionCloseClosesAfterResponse()
    {
        var app = new TestApplication
        {
            Handler = context =>
            {
                context.Response.Headers.Set("Connection", "close");
                return default;
            },
        };
        await using var connection = TestConnection.Start(app);
        await connection.SendAsync(Get);
        var response = await connection.ReadResponseAsync();
        Assert.That(response!.Header("Connection"), Is.EqualTo("close"));
        await connection.WaitClosedAsync();
    }

    [Test]
    public async Task Http10ClosesByDefault()
    {
        await using var connection = TestConnection.Start(new TestApplication());
        await connection.SendAsync("GET /old HTTP/1.0\r\n\r\n");
        var response = await connection.ReadResponseAsync();
        Assert.That(response!.StatusLine, Is.EqualTo("HTTP/1.1 200 OK"));
        Assert.That(response.Header("Connection"), Is.EqualTo("close"));
        await connection.WaitClosedAsync();
    }

    [Test]
    public async Task Http10KeepAliveIsHonoured()
    {
        await using var connection = TestConnection.Start(new TestApplication());
        await connection.SendAsync("GET /1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
        var first = await connection.ReadResponseAsync();
        await connection.SendAsync("GET /2 HTTP/1.0\r\n\r\n");
        var second = await connection.ReadResponseAsync();
        Assert.That(first!.Header("Connection"), Is.EqualTo("keep-alive"));
        Assert.That(second!.Header("Connection"), Is.EqualTo("close"));
        await connection.WaitClosedAsync();
    }

    [Test]
    public async Task HeadHasContentLengthButNoBody()
    {
        await using var connection = TestConnection.Start(new TestApplication());
        await connection.SendAsync("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n" + Get);
        var head = await connection.ReadResponseAsync(headRequest: true);
        Assert.That(head!.Header("Content-Length"), Is.EqualTo("ok:HEAD /h:".Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(head.Body, Is.Empty);

        // Had body bytes been sent, they would be parsed as the start of this response.
        var next = await connection.ReadResponseAsync();
        Assert.That(next!.StatusLine, Is.EqualTo("HTTP/1.1 200 OK"));
        Assert.That(next.Body, Is.EqualTo("ok:GET /a:"));
    }

    [TestCase(204)]
    [TestCase(304)]
    public async Task NoContentLengthFor204And304(int status)
    {
        var app = new TestApplication
        {
            Handler = context =>
            {
                context.Response.StatusCode = status;
                return default;
            },
        };
        await using var connection = TestConnection.Start(app);
        await connection.SendAsync(Get);
        var response = await connection.ReadResponseAsync();
        Assert.That(response!.StatusCode, Is.EqualTo(status));
        Assert.That(response.Header("Content-Length"), Is.Null);
    }

    [Test]
    public async Task ExpectContinueGets100BeforeBody()
    {
        await using var connection = TestConnection.Start(new TestApplication());
        await connection.SendAsync("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        Assert.That(await connection.ReadRawAsync(25), Is.EqualTo("HTTP/1.1 100 Continue\r\n\r\n"));
        await connection.SendAsync("hello");
        var response = await connection.ReadResponseAsync();
        Assert.That(response!.Body, Is.EqualTo("ok:POST /e:hello"));
    }

    [Test]
    public async Task ExpectContinueWithTooLargeBodyGets413Only()
    {
        var app = new TestApplication();
        await using var connection = TestConnection.Start(app, new HttpServerOptions { MaxRequestBodyBytes = 4 });
        await connection.SendAsync("POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
        var response = await connection.ReadResponseAsync();
        Assert.That(response!.StatusCode, Is.EqualTo(413));
        await connection.WaitClosedAsync();
    }

    [TestCase("GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400)]
    [TestCase("GET / HTTP/1.1\r\nHost: x\r\nA: b\r\n folded\r\n\r\n", 400)]
    [TestCase("GET / HTTP/3.0\r\nHost: x\r\n\r\n", 505)]
    [TestCase("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000\r\n\r\n", 413)]
    [TestCase("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n7D1\r\n", 413)]
    [TestCase("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400)]
    [TestCase("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400)]
    public async Task ProtocolErrorsAreAnsweredAndClose(string request, int status)
    {
        var app = new TestApplication();
        await using var connection = TestConnection.Start(app, new HttpServerOptions { MaxRequestBodyBytes = 1000 });
        await connection.SendAsync(request);
        var response = await connection.ReadResponseAsync();

        Assert.That(response!.StatusCode, Is.EqualTo(status));
        Assert.That(response.Header("Connection"), Is.EqualTo("close"));
        Assert.That(response.Header("Content-Type"), Is.EqualTo("application/json"));
        Assert.That(response.Body, Is.EqualTo("{\"code\":" + status + "}"));
        Assert.That(app.Errors, Has.Count.EqualTo(1).And.All.EqualTo(status));
        Assert.That(app.Requests, Is.Empty);
        await connection.WaitClosedAsync();
    }

    [Test]
    public async Task HeadersOverLimitAre431()
    {
        var app = new TestApplication();
        await using var connection = TestConnection.Start(app, new HttpServerOptions { MaxRequestHeadersBytes = 512 });
        await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + new string('a', 600));
        var response = await connection.ReadResponseAsync();
        Assert.That(response!.StatusCode, Is.EqualTo(431));
        Assert.That(response.StatusLine, Is.EqualTo("HTTP/1.1 431 Request Header Fields Too Large"));
        await connection.WaitClosedAsync();
    }

    [Test]
    public async Task RequestAbortedFiresWhenPeerCloses()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = new TestApplication
        {
            Handler = async context =>
            {
                var token = context.RequestAborted;
                using var registration = token.Register(() => aborted.TrySetResult());
                entered.TrySetResult();
                await aborted.Task;
                context.Response.SetBody("late"u8.ToArray(), "text/plain");
            },
        };
        await using var connection = TestConnection.Start(app);
        await connection.SendAsync("GET /poll HTTP/1.1\r\nHost: x\r\n\r\n");
        await entered.Task.WaitAsync(TestConnection.Timeout);

        await connection.CompleteOutputAsync();
        await aborted.Task.WaitAsync(TestConnection.Timeout);
        await connection.WaitClosedAsync();
        Assert.That(await connection.ReadToEndAsync(), Is.Empty, "nothing is written for an aborted request");
    }

    [Test]
    public async Task AbortCallbackRunsWithItsArgumentsWhenPeerCloses()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource<(object, object)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new object();
        var second = new object();
        var app = new TestApplication
        {
            Handler = async context =>
            {
                Assert.That(context.SetAbortCallback((a, b) => aborted.TrySetResult((a, b)), first, second), Is.True);
                entered.TrySetResult();
                await aborted.Task;
            },
        };
        await using var connection = TestConnection.Start(app);
        await connection.SendAsync("GET /poll HTTP/1.1\r\nHost: x\r\n\r\n");
        await entered.Task.WaitAsync(TestConnection.Timeout);

        await connection.CompleteOutputAsync();
        var (a, b) = await aborted.Task.WaitAsync(TestConnection.Timeout);
        Assert.That(a, Is.SameAs(first));
        Assert.That(b, Is.SameAs(second));
        await connection.WaitClosedAsync();
    }

    // An application callback on RequestAborted that throws must not keep the transport's own abort callback
    // (the long-polling GET's AbortPoll) from running, as it did not when both were registrations of the same source.
    [Test]
    public async Task AbortCallbackRunsEvenWhenARequestAbortedCallbackThrows()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = new TestApplication
        {
            Handler = async context =>
            {
                using var throwing = context.RequestAborted.Register(() => throw new InvalidOperationException("application callback"));
                context.SetAbortCallback((_, _) => aborted.TrySetResult(), context, context);
                entered.TrySetResult();
                await aborted.Task.WaitAsync(TestConnection.Timeout);
            },
        };
        await using var connection = TestConnection.Start(app);
        await connection.SendAsync("GET /poll HTTP/1.1\r\nHost: x\r\n\r\n");
        await entered.Task.WaitAsync(TestConnection.Timeout);

        await connection.CompleteOutputAsync();
        await aborted.Task.WaitAsync(TestConnection.Timeout); // times out before the fix
        await connection.WaitClosedAsync();
    }

    [Test]
    public async Task ClearedAbortCallbackDoesNotRunAndAnAbortedRequestRefusesOne()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var refusedAfterAbort = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        int calls = 0;
        var app = new TestApplication
        {
            Handler = async context =>
            {
                context.SetAbortCallback((_, _) => Interlocked.Increment(ref calls), context, context);
                context.ClearAbortCallback();
                using var registration = context.RequestAborted.Register(() => aborted.TrySetResult());
                entered.TrySetResult();
                await aborted.Task;
                refusedAfterAbort.TrySetResult(!context.SetAbortCallback((_, _) => Interlocked.Increment(ref calls), context, context));
            },
        };
        await using var connection = TestConnection.Start(app);
        await connection.SendAsync("GET /poll HTTP/1.1\r\nHost: x\r\n\r\n");
        await entered.Task.WaitAsync(TestConnection.Timeout);

        await connection.CompleteOutputAsync();
        Assert.That(await refusedAfterAbort.Task.WaitAsync(TestConnection.Timeout), Is.True, "an aborted request takes no callback");
        await connection.WaitClosedAsync();
        Assert.That(Volatile.Read(ref calls), Is.Zero, "a cleared callback, or one refused, never runs");
    }

    [Test]
    public async Task PipelinedRequestDuringPendingHandlerIsServedAfterwards()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var abortedFlags = new List<bool>();
        var app = new TestApplication();
        app.Handler = async context =>
        {
            if (context.Request.Path == "/slow")
            {
                entered.TrySetResult();
                await release.Task;
                abortedFlags.Add(context.RequestAborted.IsCancellationRequested);
            }

            await TestApplication.DefaultHandler(context);
        };
        await using var connection = TestConnection.Start(app);
        await connection.SendAsync("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        await entered.Task.WaitAsync(TestConnection.Timeout);

        // Two more requests arrive in separate writes while the handler is pending.
        await connection.SendAsync("POST /next HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
        await Task.Delay(20);
        await connection.SendAsync("GET /last HTTP/1.1\r\nHost: x\r\n\r\n");
        await Task.Delay(20);
        release.SetResult();

        Assert.That((await connection.ReadResponseAsync())!.Body, Is.EqualTo("ok:GET /slow:"));
        Assert.That((await connection.ReadResponseAsync())!.Body, Is.EqualTo("ok:POST /next:abc"));
        Assert.That((await connection.ReadResponseAsync())!.Body, Is.EqualTo("ok:GET /last:"));
        Assert.That(abortedFlags, Has.Count.EqualTo(1).And.All.False);
    }

    [Test]
    public async Task SlowHandlersInARowKeepWorking()
    {
        var app = new TestApplication();
        app.Handler = async context =>
        {
            await Task.Yield();
            await Task.Delay(1);
            await TestApplication.DefaultHandler(context);
        };
        await using var connection = TestConnection.Start(app);
        for (var i = 0; i < 20; i++)
        {
            await connection.SendAsync("GET /" + i + " HTTP/1.1\r\nHost: x\r\n\r\n");
            Assert.That((await connection.ReadResponseAsync())!.Body, Is.EqualTo("ok:GET /" + i + ":"));
        }
    }

    [TestCase(false)]
    [TestCase(true)]
    public async Task UpgradeWrites101AndHandsOverRawBytes(bool asyncBeforeUpgrade)
    {
        var app = new TestApplication
        {
            Handler = async context =>
            {
                if (asyncBeforeUpgrade)
                {
                    // Let the connection start watching the input first: the upgrade must take it over.
                    await Task.Delay(30);
                }

                context.Response.Headers.Add("Upgrade", "websocket");
                context.Response.Headers.Add("Connection", "Upgrade");
                context.Response.Headers.Add("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
                var pipe = await context.AcceptUpgradeAsync();
                await EchoUntilBangAsync(pipe);
            },
        };
        await using var connection = TestConnection.Start(app);
        await connection.SendAsync(
            "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\nearly");
        var response = await connection.ReadResponseAsync();
        Assert.That(response!.StatusLine, Is.EqualTo("HTTP/1.1 101 Switching Protocols"));
        Assert.That(response.Header("Upgrade"), Is.EqualTo("websocket"));
        Assert.That(response.Header("Connection"), Is.EqualTo("Upgrade"));
        Assert.That(response.Header("Sec-WebSocket-Accept"), Is.EqualTo("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        Assert.That(response.Header("Content-Length"), Is.Null);
        Assert.That(await connection.ReadRawAsync("echo:early;".Length), Is.EqualTo("echo:early;"));

        await connection.SendAsync("late!");
        Assert.That(await connection.ReadRawAsync("echo:late!;".Length), Is.EqualTo("echo:late!;"));
        Assert.That(await connection.ReadToEndAsync(), Is.Empty);
        await connection.WaitClosedAsync();
    }

    [Test]
    public async Task HandedOffUpgradeEndsTheRequestLoopAndLeavesTheTransportToTheProtocol()
    {
        TaskProtocol? protocol = null;
        var app = new TestApplication
        {
            Handler = async context =>
            {
                context.Response.Headers.Add("Upgrade", "websocket");
                context.Response.Headers.Add("Connection", "Upgrade");
                var pipe = await context.AcceptUpgradeAsync();
                protocol = new TaskProtocol(EchoThenCompleteAsync(pipe));
                context.HandOff(protocol);
            },
        };
        await using var connection = TestConnection.Start(app);
        await connection.SendAsync("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nearly");
        var response = await connection.ReadResponseAsync();
        Assert.That(response!.StatusLine, Is.EqualTo("HTTP/1.1 101 Switching Protocols"));
        Assert.That(await connection.ReadRawAsync("echo:early;".Length), Is.EqualTo("echo:early;"));

        // The request loop is over while the protocol still runs on the same, uncompleted transport.
        var handedOff = await connection.Run.WaitAsync(TestConnection.Timeout);
        Assert.That(handedOff, Is.SameAs(protocol));
        Assert.That(protocol!.Task.IsCompleted, Is.False);
        await connection.SendAsync("late!");
        Assert.That(await connection.ReadRawAsync("echo:late!;".Length), Is.EqualTo("echo:late!;"));
        await protocol.Task.WaitAsync(TestConnection.Timeout);
        Assert.That(await connection.ReadToEndAsync(), Is.Empty);

        static async Task EchoThenCompleteAsync(System.IO.Pipelines.IDuplexPipe pipe)
        {
            await EchoUntilBangAsync(pipe);

            // A handed-off protocol completes the transport itself: the request loop no longer does.
            await pipe.Input.CompleteAsync();
            await pipe.Output.CompleteAsync();
        }
    }

    /// <summary>Echoes raw bytes as <c>echo:…;</c> until the client sends '!'.</summary>
    private static async Task EchoUntilBangAsync(System.IO.Pipelines.IDuplexPipe pipe)
    {
        while (true)
        {
            var result = await pipe.Input.ReadAsync();
            var text = Encoding.ASCII.GetString(result.Buffer);
            pipe.Input.AdvanceTo(result.Buffer.End);
            await pipe.Output.WriteAsync(Encoding.ASCII.GetBytes("echo:" + text + ";"));
            if (text.Contains('!', StringComparison.Ordinal) || result.IsCompleted)
            {
                break;
            }
        }
    }

    [Test]
    public async Task HandOffWithoutAnUpgradeFailsTheRequest()
    {
        var app = new TestApplication
        {
            Handler = context =>
            {
                context.HandOff(new TaskProtocol(Task.CompletedTask));
                return ValueTask.CompletedTask;
            },
        };
        await using var connection = TestConnection.Start(app);
        await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        var response = await connection.ReadResponseAsync();
        Assert.That(response!.StatusLine, Does.StartWith("HTTP/1.1 500"));
        Assert.That(await connection.Run.WaitAsync(TestConnection.Timeout), Is.Null);
    }

    [Test]
    public async Task HeadersTimeoutClosesSlowConnection()
    {
        var time = new FakeTimeProvider();
        var options = new HttpServerOptions { TimeProvider = time, RequestHeadersTimeout = TimeSpan.FromSeconds(5) };
        var app = new TestApplication();
        await using var connection = TestConnection.Start(app, options);
        await connection.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n");

        time.Advance(TimeSpan.FromSeconds(4));
        await Task.Delay(20);
        Assert.That(connection.Run.IsCompleted, Is.False);

        await AdvanceUntilClosedAsync(time, connection);
        Assert.That(await connection.ReadToEndAsync(), Is.Empty);
        Assert.That(app.Requests, Is.Empty);
    }

    [Test]
    public async Task BodyTimeoutClosesAConnectionThatTricklesItsBody()
    {
        var time = new FakeTimeProvider();
        var options = new HttpServerOptions { TimeProvider = time, RequestBodyTimeout = TimeSpan.FromSeconds(5) };
        var app = new TestApplication();
        await using var connection = TestConnection.Start(app, options);
        await connection.SendAsync("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nabc");

        time.Advance(TimeSpan.FromSeconds(3));
        await Task.Delay(20);
        Assert.That(connection.Run.IsCompleted, Is.False);

        await AdvanceUntilClosedAsync(time, connection);
        Assert.That(app.Requests, Is.Empty);
    }

    [Test]
    public async Task HeadersTimeoutAppliesToLaterRequestsFromTheirFirstByte()
    {
        var time = new FakeTimeProvider();
        var options = new HttpServerOptions { TimeProvider = time, RequestHeadersTimeout = TimeSpan.FromSeconds(5), KeepAliveTimeout = TimeSpan.FromSeconds(60) };
        await using var connection = TestConnection.Start(new TestApplication(), options);
        await connection.SendAsync(Get);
        Assert.That((await connection.ReadResponseAsync())!.StatusCode, Is.EqualTo(200));

        await connection.SendAsync("GET /slow");
        await AdvanceUntilClosedAsync(time, connection, maxSeconds: 30);
    }

    [Test]
    public async Task KeepAliveTimeoutClosesIdleConnection()
    {
        var time = new FakeTimeProvider();
        var options = new HttpServerOptions { TimeProvider = time, KeepAliveTimeout = TimeSpan.FromSeconds(30) };
        await using var connection = TestConnection.Start(new TestApplication(), options);
        await connection.SendAsync(Get);
        Assert.That((await connection.ReadResponseAsync())!.StatusCode, Is.EqualTo(200));

        // Well past the 10 s headers timeout: an idle connection is governed by the keep-alive timeout.
        time.Advance(TimeSpan.FromSeconds(20));
        await Task.Delay(20);
        Assert.That(connection.Run.IsCompleted, Is.False);

        await AdvanceUntilClosedAsync(time, connection);
    }

    [Test]
    public async Task PendingHandlerIsNotTimedOut()
    {
        var time = new FakeTimeProvider();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = new TestApplication();
        app.Handler = async context =>
        {
            entered.TrySetResult();
            await release.Task;
            await TestApplication.DefaultHandler(context);
        };
        var options = new HttpServerOptions { TimeProvider = time, RequestHeadersTimeout = TimeSpan.FromSeconds(5), KeepAliveTimeout = TimeSpan.FromSeconds(5) };
        await using var connection = TestConnection.Start(app, options);
        await connection.SendAsync(Get);
        await entered.Task.WaitAsync(TestConnection.Timeout);
        time.Advance(TimeSpan.FromMinutes(5));
        release.SetResult();
        Assert.That((await connection.ReadResponseAsync())!.StatusCode, Is.EqualTo(200));
    }

    [Test]
    public async Task ApplicationExceptionYields500AndClose()
    {
        var app = new TestApplication { Handler = _ => throw new InvalidOperationException("boom") };
        await using var connection = TestConnection.Start(app);
        await connection.SendAsync(Get);
        var response = await connection.ReadResponseAsync();
        Assert.That(response!.StatusCode, Is.EqualTo(500));
        Assert.That(response.Header("Connection"), Is.EqualTo("close"));
        await connection.WaitClosedAsync();
        Assert.That(connection.Run.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public async Task AsyncApplicationExceptionYields500AndClose()
    {
        var app = new TestApplication
        {
            Handler = async context =>
            {
                await Task.Yield();
                context.Response.SetBody("partial"u8.ToArray(), null);
                throw new InvalidOperationException("boom");
            },
        };
        await using var connection = TestConnection.Start(app);
        await connection.SendAsync(Get);
        var response = await connection.ReadResponseAsync();
        Assert.That(response!.StatusCode, Is.EqualTo(500));
        Assert.That(response.Body, Is.Empty);
        await connection.WaitClosedAsync();
        Assert.That(connection.Run.IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public async Task ShutdownFinishesCurrentResponseThenCloses()
    {
        using var shutdown = new CancellationTokenSource();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var app = new TestApplication();
        app.Handler = async context =>
        {
            entered.TrySetResult();
            await release.Task;
            await TestApplication.DefaultHandler(context);
        };
        await using var connection = TestConnection.Start(app, shutdown: shutdown.Token);
        await connection.SendAsync(Get + Get);
        await entered.Task.WaitAsync(TestConnection.Timeout);
        await shutdown.CancelAsync();
        release.SetResult();

        var response = await connection.ReadResponseAsync();
        Assert.That(response!.StatusCode, Is.EqualTo(200));
        Assert.That(response.Header("Connection"), Is.EqualTo("close"));
        Assert.That(await connection.ReadToEndAsync(), Is.Empty);
        await connection.WaitClosedAsync();
        Assert.That(app.Requests, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task ShutdownClosesIdleConnection()
    {
        using var shutdown = new CancellationTokenSource();
        await using var connection = TestConnection.Start(new TestApplication(), shutdown: shutdown.Token);
        await connection.SendAsync(Get);
        Assert.That((await connection.ReadResponseAsync())!.StatusCode, Is.EqualTo(200));
        await shutdown.CancelAsync();
        await connection.WaitClosedAsync();
    }

    [Test]
    public async Task PeerClosingMidRequestEndsQuietly()
    {
        var app = new TestApplication();
        await using var connection = TestConnection.Start(app);
        await connection.SendAsync("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
        await connection.CompleteOutputAsync();
        await connection.WaitClosedAsync();
        Assert.That(app.Requests, Is.Empty);
        Assert.That(connection.Run.IsCompletedSuccessfully, Is.True);
    }

    private static async Task AdvanceUntilClosedAsync(FakeTimeProvider time, TestConnection connection, int maxSeconds = 10)
    {
        // The connection publishes deadlines asynchronously; step the clock until the heartbeat closes it.
        for (var i = 0; i < maxSeconds && !connection.Run.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(connection.Run, Task.Delay(10));
        }

        await connection.WaitClosedAsync();
    }
}
