namespace FastIo.SocketIO.Protocol;
internal sealed class SocketIOMsgPackParser(int maxAttachments) : ISocketPacketParser
{
    public int Max => maxAttachments;
    public EncodedPacket Encode(SocketPacket packet) => throw new NotSupportedException();
    public ISocketPacketDecoder CreateDecoder() => throw new NotSupportedException();
}
