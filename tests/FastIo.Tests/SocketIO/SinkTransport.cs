using FastIo.EngineIO;

namespace FastIo.Tests.SocketIO;

/// <summary>
/// A WebSocket-like transport that copies on send (as the real one frames into its queue) and keeps only the last
/// message and a count: what the allocation tests need to check replies without allocating per message.
/// </summary>
/// <remarks>
/// With <see cref="Polling"/> it behaves like long-polling instead: writable only while a "GET" waits
/// (<see cref="Poll"/>), which the next send answers, so messages sent in between wait in the session's write buffer.
/// </remarks>
internal sealed class SinkTransport(bool polling = false) : EngineTransport
{
    private readonly byte[] _last = new byte[4096];
    private int _lastLength;
    private bool _getWaiting;

    public int Messages { get; private set; }

    /// <summary>Whether this transport acts as long-polling.</summary>
    public bool Polling { get; } = polling;

    public override string Name => Polling ? "polling" : "websocket";

    public override bool IsWritable => !Polling || _getWaiting;

    public override bool HandlesUpgrades => !Polling;

    public override bool CopiesOnSend => !Polling;

    /// <summary>A GET arrives: it takes what the session buffered, or waits for the next send.</summary>
    public void Poll()
    {
        _getWaiting = true;
        Session!.OnTransportReady(this);
    }

    /// <summary>The last message sent, as text.</summary>
    public string Last => System.Text.Encoding.UTF8.GetString(_last, 0, _lastLength);

    public override void SendTransient(EnginePacketType type, ReadOnlySpan<byte> utf8) => Keep(type, utf8);

    public override void Send(ReadOnlySpan<EnginePacket> packets)
    {
        _getWaiting = false;
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
