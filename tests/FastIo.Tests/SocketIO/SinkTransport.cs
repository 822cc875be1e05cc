using FastIo.EngineIO;

namespace FastIo.Tests.SocketIO;

/// <summary>
/// A WebSocket-like transport that copies on send (as the real one frames into its queue) and keeps only the last
/// message and a count: what the allocation tests need to check replies without allocating per message.
/// </summary>
internal sealed class SinkTransport : EngineTransport
{
    private readonly byte[] _last = new byte[4096];
    private int _lastLength;

    public int Messages { get; private set; }

    public override string Name => "websocket";

    public override bool IsWritable => true;

    public override bool HandlesUpgrades => true;

    public override bool CopiesOnSend => true;

    /// <summary>The last message sent, as text.</summary>
    public string Last => System.Text.Encoding.UTF8.GetString(_last, 0, _lastLength);

    public override void SendTransient(EnginePacketType type, ReadOnlySpan<byte> utf8) => Keep(type, utf8);

    public override void Send(ReadOnlySpan<EnginePacket> packets)
    {
        foreach (var packet in packets)
        {
            Keep(packet.Type, packet.Data.Span);
        }
    }

    public override void Close() => Session?.OnTransportClosed(this);

    public override void Discard()
    {
    }

    private void Keep(EnginePacketType type, ReadOnlySpan<byte> data)
    {
        if (type == EnginePacketType.Message)
        {
            Messages++;
            _lastLength = Math.Min(data.Length, _last.Length);
            data[.._lastLength].CopyTo(_last);
        }
    }
}
