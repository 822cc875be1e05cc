using BenchmarkDotNet.Attributes;
using FastIo.SocketIO;
using FastIo.SocketIO.Protocol;

namespace FastIo.Benchmarks;

/// <summary>
/// The decoder a connection borrows for each message off the text-event fast path (client acks, binary events, every
/// msgpack message): <see cref="OperationsPerInvoke"/> messages decoded with a borrowed decoder, shared out over one
/// thread or over two running at once, as two shards' loops would. The two-thread figure shows what the borrowing
/// costs when receivers run on both cores.
/// </summary>
[MemoryDiagnoser]
public class DecoderRentalBenchmarks
{
    private const int OperationsPerInvoke = 200_000;

    private readonly byte[] _clientAck = "31[\"ok\"]"u8.ToArray();
    private SocketIOServer _server = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup() => _server = new SocketIOServer();

    [GlobalCleanup]
    public void Cleanup() => _server.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = OperationsPerInvoke)]
    public int DecodeWithBorrowedDecoder()
    {
        if (Threads == 1)
        {
            return Decode(OperationsPerInvoke);
        }

        var threads = new Thread[Threads];
        int total = 0;
        for (int t = 0; t < threads.Length; t++)
        {
            threads[t] = new Thread(() => Interlocked.Add(ref total, Decode(OperationsPerInvoke / Threads)));
            threads[t].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        return total;
    }

    private int Decode(int count)
    {
        int sum = 0;
        for (int i = 0; i < count; i++)
        {
            var decoder = _server.RentDecoder();
            if (decoder.Decode(_clientAck, false, out var packet, out _) == SocketDecodeStatus.Packet)
            {
                sum += packet!.Data.Length;
            }

            _server.ReturnDecoder(decoder);
        }

        return sum;
    }
}
