namespace FastIo.EngineIO;

/// <summary>Engine.IO packet types (engine.io-protocol v4 §"Packet encoding"; the same digits in v3).</summary>
public enum EnginePacketType : byte
{
    /// <summary>Sent by the server when a new transport is opened (handshake).</summary>
    Open = 0,

    /// <summary>Requests the close of the session.</summary>
    Close = 1,

    /// <summary>Heartbeat request (server to client in v4, client to server in v3) and upgrade probe.</summary>
    Ping = 2,

    /// <summary>Heartbeat answer and upgrade probe answer.</summary>
    Pong = 3,

    /// <summary>A message for the layer above (Socket.IO).</summary>
    Message = 4,

    /// <summary>Completes the upgrade from polling to WebSocket.</summary>
    Upgrade = 5,

    /// <summary>Does nothing; used to end a pending long-polling request during an upgrade.</summary>
    Noop = 6,
}
