using System.Security.Cryptography;
using System.Text;
using BenchmarkDotNet.Attributes;
using FastIo.Transports.WebSockets;

namespace FastIo.Benchmarks;

/// <summary>
/// The SHA-1 of a WebSocket handshake (the 24-character key and RFC 6455's GUID, 60 bytes): the framework's, which
/// goes through OpenSSL on Linux, against FastIo's managed <see cref="Sha1"/> (bench/RESULTS.md, "accept hash").
/// </summary>
[MemoryDiagnoser]
public class AcceptHashBenchmarks
{
    private readonly byte[] _input = Encoding.ASCII.GetBytes("dGhlIHNhbXBsZSBub25jZQ==258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    private readonly byte[] _digest = new byte[Sha1.HashLength];

    [Benchmark(Baseline = true)]
#pragma warning disable CA5350 // the comparison point; RFC 6455 mandates SHA-1 for this framing check
    public int Framework() => SHA1.HashData(_input, _digest);
#pragma warning restore CA5350

    [Benchmark]
    public byte Managed()
    {
        Sha1.HashData(_input, _digest);
        return _digest[0];
    }

    /// <summary>The whole accept value as the handshake computes it: bytes, hash and base64 string.</summary>
    [Benchmark]
    public string AcceptValue() => WebSocketHandshake.ComputeAccept("dGhlIHNhbXBsZSBub25jZQ==");
}
