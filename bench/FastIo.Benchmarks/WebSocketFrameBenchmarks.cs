using System.Buffers;
using BenchmarkDotNet.Attributes;
using FastIo.Transports.WebSockets;

namespace FastIo.Benchmarks;

/// <summary>Frame header parse plus in-place unmasking (client → server), and frame writing (server → client).</summary>
[MemoryDiagnoser]
public class WebSocketFrameBenchmarks
{
    private byte[] _masked = null!;
    private byte[] _payload = null!;
    private byte[] _output = null!;

    [Params(16, 125, 4096, 65536)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _payload = new byte[Size];
        Random.Shared.NextBytes(_payload);
        var unmasked = WebSocketFrameWriter.BuildFrame(_payload, WebSocketMessageType.Binary);
        int header = unmasked.Length - Size;

        // Client frames carry the mask bit and a 4-byte key after the length (RFC 6455 §5.2).
        _masked = new byte[unmasked.Length + 4];
        unmasked.AsSpan(0, header).CopyTo(_masked);
        _masked[1] |= 0x80;
        byte[] key = [0x37, 0xfa, 0x21, 0x3d];
        key.CopyTo(_masked, header);
        for (int i = 0; i < Size; i++)
        {
            _masked[header + 4 + i] = (byte)(_payload[i] ^ key[i & 3]);
        }

        _output = new byte[Size + WebSocketFrameWriter.MaxHeaderSize];
    }

    /// <summary>Unmasking in place flips the buffer between masked and clear on each call; the cost is the same.</summary>
    [Benchmark]
    public long ParseAndUnmask()
    {
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(_masked));
        WebSocketFrameParser.TryParseHeader(ref reader, false, out var header, out _, out _);
        WebSocketMasking.Apply(_masked.AsSpan(header.HeaderLength, (int)header.PayloadLength), header.Mask, 0);
        return header.PayloadLength;
    }

    [Benchmark]
    public int Write() => WebSocketFrameWriter.WriteFrame(_output, WebSocketOpcode.Binary, _payload);
}
