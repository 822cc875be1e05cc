using System.Buffers;
using BenchmarkDotNet.Attributes;
using FastIo.EngineIO;
using FastIo.SocketIO.Protocol;

namespace FastIo.Benchmarks;

/// <summary>
/// Engine.IO single-packet framing (the WebSocket form) and Socket.IO JSON encode/decode, text and with a binary
/// attachment (socket.io-parser's placeholder form).
/// </summary>
[MemoryDiagnoser]
public class ProtocolCodecBenchmarks
{
    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly SocketIOJsonParser _parser = new();
    private readonly byte[] _engineText = "42[\"chat\",\"hello world\"]"u8.ToArray();
    private readonly byte[] _textEvent = "2[\"chat\",{\"room\":\"lobby\",\"text\":\"hello world\"}]"u8.ToArray();
    private readonly byte[] _binaryHeader = "51-[\"upload\",{\"_placeholder\":true,\"num\":0}]"u8.ToArray();
    private readonly byte[] _attachment = new byte[1024];
    private EnginePacket _enginePacket;
    private SocketPacket _textPacket = null!;
    private SocketPacket _binaryPacket = null!;
    private ISocketPacketDecoder _decoder = null!;

    [GlobalSetup]
    public void Setup()
    {
        _enginePacket = EnginePacket.Text(EnginePacketType.Message, "2[\"chat\",\"hello world\"]");
        _textPacket = new SocketPacket { Type = SocketPacketType.Event, Data = "[\"chat\",{\"room\":\"lobby\",\"text\":\"hello world\"}]"u8.ToArray() };
        _binaryPacket = new SocketPacket
        {
            Type = SocketPacketType.BinaryEvent,
            Data = "[\"upload\",{\"_placeholder\":true,\"num\":0}]"u8.ToArray(),
            Attachments = [_attachment],
        };
        _decoder = _parser.CreateDecoder();
    }

    [Benchmark]
    public int EngineDecodeText() => EngineCodec.TryDecodeText(_engineText, out var type, out var data) ? (int)type + data.Length : -1;

    [Benchmark]
    public int EngineEncodeText()
    {
        _buffer.ResetWrittenCount();
        EngineCodec.WriteTextPacket(_buffer, _enginePacket);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public int SocketEncodeText() => _parser.Encode(_textPacket).First.Length;

    [Benchmark]
    public int SocketEncodeBinary() => _parser.Encode(_binaryPacket).Attachments.Count;

    [Benchmark]
    public int SocketDecodeText() =>
        _decoder.Decode(_textEvent, false, out var packet, out _) == SocketDecodeStatus.Packet ? packet!.Data.Length : -1;

    [Benchmark]
    public int SocketDecodeBinary()
    {
        _decoder.Decode(_binaryHeader, false, out _, out _);
        return _decoder.Decode(_attachment, true, out var packet, out _) == SocketDecodeStatus.Packet ? packet!.Attachments.Count : -1;
    }
}
