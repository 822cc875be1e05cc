namespace FastIo.LoadGen;

/// <summary>What a scenario does with the frames its clients receive; called on the receive path, so cheap.</summary>
internal class ClientSink
{
    public static readonly ClientSink None = new();

    /// <summary>An ack <c>43&lt;id&gt;…</c>; <paramref name="prefix"/> holds the first bytes of the payload.</summary>
    public virtual void OnAck(WsClient client, long ackId, ReadOnlySpan<byte> prefix)
    {
    }

    /// <summary>An event <c>42[…]</c> (the broadcasts).</summary>
    public virtual void OnEvent(WsClient client)
    {
    }
}
