using FastIo.SocketIO;

namespace FastIo.Server;

/// <summary>
/// The default application of <c>fastio serve</c>: clients join and leave rooms and emit to rooms they are in,
/// so the service is useful as a plain room relay until it becomes a full gateway.
/// </summary>
internal static class ServeApp
{
    public static void Configure(SocketIOServer io)
    {
        io.OnConnection(socket =>
        {
            // join(room) / leave(room), acknowledged with the socket's rooms
            socket.On("join", m =>
            {
                if (m.Count > 0 && m.Get<string>(0) is { Length: > 0 } room)
                {
                    socket.Join(room);
                }

                m.Ack(socket.Rooms);
            });
            socket.On("leave", m =>
            {
                if (m.Count > 0 && m.Get<string>(0) is { Length: > 0 } room && room != socket.Id)
                {
                    socket.Leave(room);
                }

                m.Ack(socket.Rooms);
            });

            // emit(room, event, ...args): relayed to the other members of a room the sender is in
            socket.On("emit", m =>
            {
                var room = m.Count > 1 ? m.Get<string>(0) : null;
                var eventName = m.Count > 1 ? m.Get<string>(1) : null;
                if (room is null || eventName is null || !socket.Rooms.Contains(room))
                {
                    m.Ack(new { error = "join the room first" });
                    return;
                }

                var args = m.ToArguments();
                socket.To(room).Emit(eventName, args[2..]);
                m.Ack(new { ok = true });
            });
        });
    }
}
