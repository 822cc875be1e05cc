using System.Buffers;
using BenchmarkDotNet.Attributes;
using FastIo.EngineIO;

namespace FastIo.Benchmarks;

/// <summary>Engine.IO payload framing: what every long-polling request and response pays.</summary>
[MemoryDiagnoser]
public class EngineCodecBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly List<EnginePacket> _decoded = new();
    private EnginePacket[] _packets = null!;
    private byte[] _payload = null!;

    [GlobalSetup]
    public void Setup()
    {
        _packets =
        [
            EnginePacket.Text(EnginePacketType.Message, "2[\"chat\",\"hello world\"]"),
            EnginePacket.Text(EnginePacketType.Ping, ""),
            new EnginePacket(EnginePacketType.Message, new byte[64], isBinary: true),
        ];
        EngineCodec.WritePayloadV4(_buffer, _packets);
        _payload = _buffer.WrittenSpan.ToArray();
    }

    [Benchmark]
    public int EncodePayloadV4()
    {
        _buffer.ResetWrittenCount();
        EngineCodec.WritePayloadV4(_buffer, _packets);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int DecodePayloadV4()
    {
        _decoded.Clear();
        EngineCodec.TryDecodePayloadV4(_payload, _decoded);
        return _decoded.Count;
    }
}
