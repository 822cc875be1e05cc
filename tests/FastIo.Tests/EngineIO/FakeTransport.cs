using FastIo.EngineIO;

namespace FastIo.Tests.EngineIO;

/// <summary>A transport that records what the session sends; writable like a WebSocket unless told otherwise.</summary>
internal sealed class FakeTransport(string name = "websocket") : EngineTransport
{
    public List<(EnginePacketType Type, string Data)> Sent { get; } = new();

    public bool Writable { get; set; } = true;

    public int Closes { get; private set; }

    public override string Name => name;

    public override bool IsWritable => Writable;

    public override bool HandlesUpgrades => name == "websocket";

    /// <summary>Copies what it is sent, as a WebSocket does (the session then keeps no write buffer while idle).</summary>
    public bool Copies { get; set; }

    public override bool CopiesOnSend => Copies;

    public override void SendTransient(EnginePacketType type, ReadOnlySpan<byte> utf8) =>
        Sent.Add((type, System.Text.Encoding.UTF8.GetString(utf8)));

    /// <summary>Runs once inside the next <see cref="Send"/>, after recording it (code a send completes inline).</summary>
    public Action? DuringNextSend { get; set; }

    public override void Send(ReadOnlySpan<EnginePacket> packets)
    {
        foreach (var p in packets)
        {
            Sent.Add((p.Type, System.Text.Encoding.UTF8.GetString(p.Data.Span)));
        }

        var during = DuringNextSend;
        DuringNextSend = null;
        during?.Invoke();
    }

    public override void Close()
    {
        Closes++;
        Session?.OnTransportClosed(this);
    }

    public override void Discard()
    {
    }
}

/// <summary>Records the handler callbacks.</summary>
internal sealed class RecordingHandler : IEngineHandler
{
    public List<string> Events { get; } = new();

    public void OnOpen(EngineSession session) => Events.Add("open");

    public void OnMessage(EngineSession session, ReadOnlySpan<byte> data, bool isBinary) =>
        Events.Add((isBinary ? "binary:" : "text:") + System.Text.Encoding.UTF8.GetString(data));

    public void OnClose(EngineSession session, string reason)
    {
        lock (Events)
        {
            Events.Add("close:" + reason);
        }
    }
}
