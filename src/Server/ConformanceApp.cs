using System.Text.Json;
using FastIo.SocketIO;

namespace FastIo.Server;

/// <summary>
/// The Socket.IO side of <c>fastio conformance</c>: the handlers of the official v5 suite
/// (../shared/docs/conformance.md) on <c>/</c> and <c>/custom</c>, and on <c>/</c> the handlers multi-node
/// checks drive (all through the public operators, so they work the same across a cluster).
/// </summary>
internal static class ConformanceApp
{
    private static readonly string[] s_initialRooms = ["room1", "room2", "room4", "room5"];

    public static void Configure(SocketIOServer io)
    {
        io.OnConnection(socket =>
        {
            socket.Emit("auth", socket.Handshake.Auth);
            socket.On("message", m => socket.Emit("message-back", m.ToArguments()));
            socket.On("message-with-ack", m => m.Ack(m.ToArguments()));
            socket.Join(s_initialRooms);
            AddClusterHandlers(io, socket);
        });
        io.Of("/custom").OnConnection(socket => socket.Emit("auth", socket.Handshake.Auth));

        // Another server's serverSideEmit("ping-srv", ...): answered when it waits for replies.
        io.MainNamespace.OnServerSideEmit(m =>
        {
            if (m.EventName == "ping-srv")
            {
                m.Ack("pong");
            }
        });
    }

    private static void AddClusterHandlers(SocketIOServer io, Socket socket)
    {
        var greeting = "hello from " + socket.Id;
        socket.On("broadcast", _ => io.Emit("broadcast", greeting));
        socket.On("broadcast_to_room", m => io.To(m.Get<string>(0) ?? "room1").Emit("broadcast_to_room", greeting));
        socket.On("volatile_broadcast", _ => io.Volatile.Emit("volatile_broadcast", greeting));
        socket.On("broadcast_with_ack", async m =>
        {
            var replies = await io.Timeout(TimeSpan.FromSeconds(5)).EmitWithAckAsync("broadcast_with_ack", [null]).ConfigureAwait(false);
            m.Ack(FirstArguments(replies));
        });
        socket.On("fetch_sockets", async m =>
        {
            var sockets = await io.FetchSocketsAsync().ConfigureAwait(false);
            var result = new List<object>(sockets.Count);
            foreach (var s in sockets)
            {
                result.Add(new { id = s.Id, ns = "/" });
            }

            m.Ack(result);
        });
        socket.On("server_side_emit_with_ack", async m =>
        {
            var replies = await io.MainNamespace.ServerSideEmitWithAckAsync("ping-srv", [], TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            m.Ack(FirstArguments(replies));
        });
        socket.On("rooms", async m => m.Ack(await io.MainNamespace.Adapter.AllRoomsAsync().ConfigureAwait(false)));
        socket.On("disconnect_socket", _ => io.DisconnectSockets());
        socket.On("join_room", m =>
        {
            io.SocketsJoin("room7");
            m.Ack();
        });
        socket.On("leave_room", m =>
        {
            io.SocketsLeave("room4");
            m.Ack();
        });
        socket.On("emit_from_remote_sock", async m =>
        {
            (await RemoteAsync(io, m).ConfigureAwait(false))?.Emit("emit", greeting);
            m.Ack();
        });
        socket.On("emit_with_ack_from_remote_sock", async m =>
        {
            var target = await RemoteAsync(io, m).ConfigureAwait(false);
            if (target is null)
            {
                m.Ack(); // an unknown id: answer anyway, so the caller never waits forever
                return;
            }

            var reply = await target.EmitWithAckAsync("emit", [greeting], TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            m.Ack(reply.Count > 0 ? reply.GetJson(0) : null);
        });
        socket.On("join_room_from_remote_sock", async m =>
        {
            (await RemoteAsync(io, m).ConfigureAwait(false))?.Join(greeting);
            m.Ack();
        });
        socket.On("leave_room_from_remote_sock", async m =>
        {
            (await RemoteAsync(io, m).ConfigureAwait(false))?.Leave("room4");
            m.Ack();
        });
        socket.On("get_rooms_remote_sock", async m =>
        {
            var target = await RemoteAsync(io, m).ConfigureAwait(false);
            m.Ack(target?.Rooms ?? (IReadOnlySet<string>)new HashSet<string>());
        });
        socket.On("disconnect_remote_sock", async m =>
        {
            (await RemoteAsync(io, m).ConfigureAwait(false))?.Disconnect();
            m.Ack();
        });
    }

    /// <summary>The socket whose id is the event's first argument, fetched wherever it lives.</summary>
    private static async Task<RemoteSocket?> RemoteAsync(SocketIOServer io, SocketMessage message)
    {
        var id = message.Count > 0 ? message.Get<string>(0) : null;
        if (id is null)
        {
            return null;
        }

        var sockets = await io.In(id).FetchSocketsAsync().ConfigureAwait(false);
        return sockets.Count == 1 ? sockets[0] : null;
    }

    private static List<JsonElement> FirstArguments(SocketArgs[] replies)
    {
        var result = new List<JsonElement>(replies.Length);
        foreach (var reply in replies)
        {
            if (reply.Count > 0)
            {
                result.Add(reply.GetJson(0));
            }
        }

        return result;
    }
}
