namespace FastIo.SocketIO.Protocol;

/// <summary>Socket.IO v5 packet types (docs/socket.io-protocol/v5-current.md).</summary>
public enum SocketPacketType : byte
{
    /// <summary>Connection to a namespace (client request, server answer).</summary>
    Connect = 0,

    /// <summary>Disconnection from a namespace.</summary>
    Disconnect = 1,

    /// <summary>An event with JSON arguments.</summary>
    Event = 2,

    /// <summary>An acknowledgement with JSON arguments.</summary>
    Ack = 3,

    /// <summary>A refused namespace connection.</summary>
    ConnectError = 4,

    /// <summary>An event whose arguments hold binary attachments.</summary>
    BinaryEvent = 5,

    /// <summary>An acknowledgement whose arguments hold binary attachments.</summary>
    BinaryAck = 6,
}
