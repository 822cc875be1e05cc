using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using FastIo.SocketIO;
using FastIo.Transports.Hosting;
using NUnit.Framework;

namespace FastIo.Tests.Hosting;

/// <summary>
/// What a WebSocket connect puts on the wire per flush (each flush of the socket output is one send): a new Engine.IO v4
/// session's 101 leaves with its OPEN packet in one flush (S2: one send per connect fewer), a v3 session's 101 leaves
/// alone first (the v3 client attaches its message listener only after the WebSocket opens).
/// </summary>
[TestFixture]
public sealed class WebSocketOpenSendTests
{
    private const string Upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nHost: test\r\n\r\n";

    [Test]
    public async Task A_v4_session_sends_its_101_and_its_open_packet_in_one_flush()
    {
        var flushes = await ConnectAsync(4);
        var first = Encoding.ASCII.GetString(flushes[0]);
        Assert.That(first, Does.StartWith("HTTP/1.1 101 "));
        var headEnd = first.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4;
        Assert.That(headEnd, Is.GreaterThan(4));
        Assert.That(flushes[0].Length, Is.GreaterThan(headEnd + 2), "the OPEN frame follows the 101 in the same flush");
        Assert.That(flushes[0][headEnd], Is.EqualTo(0x81), "a final text frame");
        Assert.That(Encoding.ASCII.GetString(flushes[0], headEnd + 2, 2), Is.EqualTo("0{"));
    }

    [Test]
    public async Task A_v3_session_sends_its_101_alone_before_the_open_packet()
    {
        var flushes = await ConnectAsync(3);
        var first = Encoding.ASCII.GetString(flushes[0]);
        Assert.That(first, Does.StartWith("HTTP/1.1 101 "));
        Assert.That(first, Does.EndWith("\r\n\r\n"), "nothing after the 101 in its flush");
        Assert.That(flushes.Count, Is.GreaterThan(1));
        Assert.That(flushes[1][0], Is.EqualTo(0x81));
        Assert.That(Encoding.ASCII.GetString(flushes[1], 2, 2), Is.EqualTo("0{"));
    }

    /// <summary>Upgrades a fresh connection and returns its flushes up to the one that carried the OPEN packet.</summary>
    private static async Task<List<byte[]>> ConnectAsync(int protocol)
    {
        using var io = new SocketIOServer();
        var options = new FastIoHostOptions();
        options.Engine.AllowEIO3 = true;
        await using var host = new FastIoHost(options, io);
        var input = new Pipe();
        var output = new FlushRecordingWriter();
        var served = host.ProcessConnectionAsync(new TestDuplexPipe(input.Reader, output), null);
        await input.Writer.WriteAsync(Encoding.ASCII.GetBytes($"GET /socket.io/?EIO={protocol}&transport=websocket HTTP/1.1\r\n" + Upgrade));
        var flushes = new List<byte[]>();
        while (flushes.Count == 0 || !Contains(flushes[^1], "0{"u8))
        {
            Assert.That(await output.Flushes.Reader.WaitToReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10)), Is.True, "the connection ended before its OPEN packet");
            while (output.Flushes.Reader.TryRead(out var flush))
            {
                flushes.Add(flush);
            }
        }

        await input.Writer.CompleteAsync();
        await served.WaitAsync(TimeSpan.FromSeconds(10));
        return flushes;
    }

    private static bool Contains(byte[] data, ReadOnlySpan<byte> value) => data.AsSpan().IndexOf(value) >= 0;


    /// <summary>A writer that records what each non-empty flush carried, as a socket output sends it.</summary>
    private sealed class FlushRecordingWriter : PipeWriter
    {
        private readonly ArrayBufferWriter<byte> _pending = new();

        public System.Threading.Channels.Channel<byte[]> Flushes { get; } = System.Threading.Channels.Channel.CreateUnbounded<byte[]>();

        public override void Advance(int bytes) => _pending.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => _pending.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => _pending.GetSpan(sizeHint);

        public override void CancelPendingFlush()
        {
        }

        public override void Complete(Exception? exception = null)
        {
            Record();
            Flushes.Writer.TryComplete();
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Record();
            return new ValueTask<FlushResult>(new FlushResult(isCanceled: false, isCompleted: false));
        }

        private void Record()
        {
            if (_pending.WrittenCount > 0)
            {
                Flushes.Writer.TryWrite(_pending.WrittenSpan.ToArray());
                _pending.ResetWrittenCount();
            }
        }
    }
}
