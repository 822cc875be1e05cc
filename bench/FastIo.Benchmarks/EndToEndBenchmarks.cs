using BenchmarkDotNet.Attributes;
using FastIo.EngineIO;

namespace FastIo.Benchmarks;

/// <summary>
/// The in-memory echo path: an Engine.IO message <c>42&lt;id&gt;["echo","…"]</c> into a session → Socket.IO decode →
/// the <c>echo</c> handler → ack encode → the transport. Steady-state allocations here are per message.
/// </summary>
[MemoryDiagnoser]
public class EndToEndBenchmarks
{
    private readonly byte[] _message = "21[\"echo\",\"0123456789abcdef\"]"u8.ToArray();
    private InMemoryServer _server = null!;
    private EngineSession _session = null!;
    private CountingTransport _transport = null!;

    [GlobalSetup]
    public void Setup()
    {
        _server = new InMemoryServer();
        (_session, _transport) = _server.Connect();
        long before = _transport.Packets;
        if (EchoWithAck() != before + 1)
        {
            throw new InvalidOperationException("the echo handler did not ack inline");
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _server.Dispose();

    /// <summary>The same ack id each time: the server does not track ids it answers, so reuse is harmless.</summary>
    [Benchmark]
    public long EchoWithAck()
    {
        _session.OnPacket(_transport, EnginePacketType.Message, _message, false);
        return _transport.Packets;
    }
}
