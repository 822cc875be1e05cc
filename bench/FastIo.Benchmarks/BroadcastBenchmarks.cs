using BenchmarkDotNet.Attributes;

namespace FastIo.Benchmarks;

/// <summary>
/// <c>io.emit</c> of a 100-byte string to N connected in-memory sockets: operator, adapter, encode, and the
/// per-socket enqueue into a transport (no socket writes). Divide by N for the per-delivery cost.
/// </summary>
[MemoryDiagnoser]
public class BroadcastBenchmarks
{
    private static readonly string s_data = new('x', 100);
    private readonly List<CountingTransport> _transports = [];
    private InMemoryServer _server = null!;

    [Params(1, 100, 10_000)]
    public int Sockets { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _server = new InMemoryServer();
        for (int i = 0; i < Sockets; i++)
        {
            _transports.Add(_server.Connect().Transport);
        }

        Broadcast();
        foreach (var transport in _transports)
        {
            if (transport.Packets != 3)
            {
                throw new InvalidOperationException($"a socket got {transport.Packets} packets, not open + connect + broadcast");
            }
        }
    }

    [GlobalCleanup]
    public void Cleanup() => _server.Dispose();

    [Benchmark]
    public bool Broadcast() => _server.Io.Emit("b", s_data);

    /// <summary>
    /// What a pooled broadcast message adds per WebSocket delivery: the send queue's reference taken when the frame
    /// is queued and given back when the drain copied it (one thread here; with 10 000 sockets the count's line stays
    /// in cache, as it does for one emit's fan-out). Not per emit: independent of <see cref="Sockets"/>.
    /// </summary>
    [Benchmark(OperationsPerInvoke = 1000)]
    public void QueueReferencePerDelivery()
    {
        var message = _referenced;
        for (int i = 0; i < 1000; i++)
        {
            message.AddRef();
            message.Release();
        }
    }

    private readonly FastIo.EngineIO.EngineMessage _referenced = FastIo.EngineIO.EngineMessage.RentText(128);
}
