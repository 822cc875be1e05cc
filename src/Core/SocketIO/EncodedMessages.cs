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
}
