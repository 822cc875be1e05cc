namespace FastIo.Adapters.Redis;

/// <summary>The classic adapter's request/response types (@socket.io/redis-adapter 8.3, redis-wire.md §2.4).</summary>
internal enum RequestType
{
    Sockets = 0,
    AllRooms = 1,
    RemoteJoin = 2,
    RemoteLeave = 3,
    RemoteDisconnect = 4,
    RemoteFetch = 5,
    ServerSideEmit = 6,
    Broadcast = 7,
    BroadcastClientCount = 8,
    BroadcastAck = 9,
}
