namespace FastIo.Transports.WebSockets;

/// <summary>Frame opcodes defined by RFC 6455 §5.2; every other value is reserved and fails the connection.</summary>
internal enum WebSocketOpcode : byte
{
    Continuation = 0,
    Text = 1,
    Binary = 2,
    Close = 8,
    Ping = 9,
    Pong = 10,
}
