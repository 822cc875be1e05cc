using FastIo.EngineIO;

namespace FastIo.SocketIO;

/// <summary>
/// The Engine.IO messages of one encoded packet, shared by every target of a broadcast: usually a single text
/// message, held without an array; a binary packet's message and attachments as an array.
/// </summary>
internal readonly struct EncodedMessages
{
    /// <summary>The only message, when <see cref="All"/> is null.</summary>
    public readonly EngineMessage? Single;

    /// <summary>Every message in order, when there is more than one (or the parser made an array anyway).</summary>
    public readonly EngineMessage[]? All;

    public EncodedMessages(EngineMessage single) => Single = single;

    public EncodedMessages(EngineMessage[] all) => All = all;

    /// <summary>Takes one more reference to every message (pooled ones count it; see <see cref="EngineMessage"/>).</summary>
    public void AddRef()
    {
        foreach (var message in All ?? new ReadOnlySpan<EngineMessage>(in Single!))
        {
            message.AddRef();
        }
    }

    /// <summary>Gives back one reference to every message.</summary>
    public void Release()
    {
        foreach (var message in All ?? new ReadOnlySpan<EngineMessage>(in Single!))
        {
            message.Release();
        }
    }

    /// <summary>Copies of the messages that own their bytes and hold no pooled buffer (kept by a recovered socket).</summary>
    public EncodedMessages Detach()
    {
        if (All is null)
        {
            return Single is null ? this : new EncodedMessages(Copy(Single));
        }

        var copies = new EngineMessage[All.Length];
        for (var i = 0; i < copies.Length; i++)
        {
            copies[i] = Copy(All[i]);
        }

        return new EncodedMessages(copies);
    }

    private static EngineMessage Copy(EngineMessage message) =>
        message.PooledBuffer is null ? message : new EngineMessage(message.Data.ToArray(), message.IsBinary);
}
