using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using FastIo.Transports.WebSockets;
using Microsoft.Extensions.Logging.Abstractions;
using NUnit.Framework;

namespace FastIo.Tests.WebSockets;

/// <summary>A frame as the test client received it from the server.</summary>
internal sealed record ServerFrame(bool Fin, byte Rsv, bool Masked, WebSocketOpcode Opcode, byte[] Payload)
{
    public ushort CloseCode => BinaryPrimitives.ReadUInt16BigEndian(Payload);

    public string CloseReason => Encoding.UTF8.GetString(Payload, 2, Payload.Length - 2);

    public string Text => Encoding.UTF8.GetString(Payload);
}

/// <summary>
/// A server connection wired to an in-memory test client through two pipes: the client writes masked frames
/// into one and reads the server's frames from the other.
/// </summary>
internal sealed class WebSocketHarness : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = RecordingHandler.Timeout;

    public WebSocketHarness(WebSocketOptions? options = null, TimeProvider? timeProvider = null, PipeOptions? inputOptions = null)
    {
        ClientToServer = new Pipe(inputOptions ?? PipeOptions.Default);
        ServerToClient = new Pipe();
        ServerOutput = new CountingPipeWriter(ServerToClient.Writer);
        Options = options ?? new WebSocketOptions();
        Connection = new WebSocketConnection(new TestDuplexPipe(ClientToServer.Reader, ServerOutput), Handler, Options, NullLogger.Instance, timeProvider);
    }

    public Pipe ClientToServer { get; }

    public Pipe ServerToClient { get; }

    public CountingPipeWriter ServerOutput { get; }

    public WebSocketOptions Options { get; }

    public RecordingHandler Handler { get; } = new();

    public WebSocketConnection Connection { get; }

    public Task RunTask { get; private set; } = Task.CompletedTask;

    public static WebSocketHarness Start(WebSocketOptions? options = null, TimeProvider? timeProvider = null, PipeOptions? inputOptions = null)
    {
        var harness = new WebSocketHarness(options, timeProvider, inputOptions);
        harness.Run();
        return harness;
    }

    public void Run() => RunTask = Connection.RunAsync(CancellationToken.None);

    /// <summary>Makes the handler echo every message back.</summary>
    public void EnableEcho() => Handler.OnMessageCallback = (type, payload) => Connection.Send(payload, type);

    /// <summary>Writes bytes as the client, one GetSpan at a time so tiny-block pipes split them, then flushes.</summary>
    public async Task WriteAsync(params byte[][] frames)
    {
        PipeWriter writer = ClientToServer.Writer;
        foreach (byte[] bytes in frames)
        {
            ReadOnlySpan<byte> remaining = bytes;
            while (!remaining.IsEmpty)
            {
                Span<byte> span = writer.GetSpan(1);
                int n = Math.Min(span.Length, remaining.Length);
                remaining[..n].CopyTo(span);
                writer.Advance(n);
                remaining = remaining[n..];
            }
        }

        await writer.FlushAsync().AsTask().WaitAsync(Timeout);
    }

    /// <summary>Client half-close: TCP FIN without a Close frame.</summary>
    public Task CompleteClientAsync() => ClientToServer.Writer.CompleteAsync().AsTask();

    /// <summary>Next frame from the server, or null once the server completed its output.</summary>
    public async Task<ServerFrame?> ReadFrameAsync()
    {
        using var cts = new CancellationTokenSource(Timeout);
        PipeReader reader = ServerToClient.Reader;
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cts.Token);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (TryParse(ref buffer, out ServerFrame? frame))
            {
                reader.AdvanceTo(buffer.Start);
                return frame;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return null;
            }
        }
    }

    public async Task<ServerFrame> ReadRequiredFrameAsync()
    {
        ServerFrame? frame = await ReadFrameAsync();
        Assert.That(frame, Is.Not.Null, "server closed its output before sending a frame");
        return frame!;
    }

    /// <summary>All remaining frames until the server completes its output.</summary>
    public async Task<List<ServerFrame>> ReadToEndAsync()
    {
        var frames = new List<ServerFrame>();
        while (await ReadFrameAsync() is { } frame)
        {
            frames.Add(frame);
        }

        return frames;
    }

    public Task WaitFinishedAsync() => RunTask.WaitAsync(Timeout);

    public async ValueTask DisposeAsync()
    {
        Connection.Abort();
        try
        {
            await RunTask.WaitAsync(Timeout);
        }
        finally
        {
            await ClientToServer.Writer.CompleteAsync();
            await ServerToClient.Reader.CompleteAsync();
        }
    }

    private static bool TryParse(ref ReadOnlySequence<byte> buffer, out ServerFrame? frame)
    {
        frame = null;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryRead(out byte b0) || !reader.TryRead(out byte b1))
        {
            return false;
        }

        long length = b1 & 0x7F;
        if (length == 126)
        {
            if (!reader.TryReadBigEndian(out short s))
            {
                return false;
            }

            length = (ushort)s;
        }
        else if (length == 127)
        {
            if (!reader.TryReadBigEndian(out long l))
            {
                return false;
            }

            length = l;
        }

        bool masked = (b1 & 0x80) != 0;
        if (masked)
        {
            // Servers must never mask (§5.1); keep parsing so the test can assert on Masked.
            if (reader.Remaining < 4)
            {
                return false;
            }

            reader.Advance(4);
        }

        if (reader.Remaining < length)
        {
            return false;
        }

        byte[] payload = reader.UnreadSequence.Slice(0, length).ToArray();
        reader.Advance(length);
        buffer = buffer.Slice(reader.Position);
        frame = new ServerFrame((b0 & 0x80) != 0, (byte)((b0 >> 4) & 0x7), masked, (WebSocketOpcode)(b0 & 0x0F), payload);
        return true;
    }
}
