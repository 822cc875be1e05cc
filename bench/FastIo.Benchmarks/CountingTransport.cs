using FastIo.EngineIO;

namespace FastIo.Benchmarks;

/// <summary>
/// An always-writable WebSocket-like transport that only counts what the session sends, so in-memory benchmarks
/// measure the engine and Socket.IO layers without sockets (like the tests' recording transport, minus storage).
/// </summary>
internal sealed class CountingTransport : EngineTransport
{
    public long Packets { get; private set; }

    public long Bytes { get; private set; }

    public override string Name => "websocket";

    public override bool IsWritable => true;

    public override bool HandlesUpgrades => true;

    /// <summary>Like a WebSocket, which frames what it is given into its own buffer before returning.</summary>
    public override bool CopiesOnSend => true;

    public override void SendTransient(EnginePacketType type, ReadOnlySpan<byte> utf8)
    {
        Packets++;
        Bytes += utf8.Length;
    }

    public override void Send(ReadOnlySpan<EnginePacket> packets)
    {
        foreach (var packet in packets)
        {
            Packets++;
            Bytes += packet.Data.Length;
        }
    }

    public override void Close() => Session?.OnTransportClosed(this);

    public override void Discard()
    {
    }
}
