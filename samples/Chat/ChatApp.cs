using System.Text.Json;
using FastIo.SocketIO;

namespace FastIo.Samples.Chat;

/// <summary>
/// The chat's Socket.IO handlers on the main namespace. A client (named by <c>auth: { name }</c>) sends
/// <c>join(room)</c>, <c>message(text)</c>, <c>users()</c> and <c>typing(bool)</c>; it receives <c>message</c>,
/// <c>user joined</c>, <c>user left</c> and <c>typing</c> for the room it is in.
/// </summary>
public static class ChatApp
{
    /// <summary>The longest room or user name kept; longer ones are cut.</summary>
    public const int MaxNameLength = 32;

    /// <summary>The longest message relayed; longer ones are refused.</summary>
    public const int MaxMessageLength = 2000;

    private const string NameKey = "name";
    private const string RoomKey = "room";

    // Socket ids are room names too (each socket sits in a room of its own id): prefixing chat rooms keeps a
    // client from joining another client's private room by naming it.
    private const string RoomPrefix = "chat:";

    /// <summary>Registers the chat's handlers on <paramref name="io"/>.</summary>
    public static void Configure(SocketIOServer io)
    {
        ArgumentNullException.ThrowIfNull(io);
        io.OnConnection(socket =>
        {
            socket.Data[NameKey] = NameFrom(socket);
            socket.On("join", m => Join(io, socket, m));
            socket.On("message", m => Relay(socket, m));
            socket.On("users", async m => m.Ack(await UsersAsync(io, RoomOf(socket)).ConfigureAwait(false)));
            socket.On("typing", m =>
            {
                // Volatile: a typing hint that cannot be delivered right now is worthless later.
                if (RoomOf(socket) is { } room)
                {
                    socket.To(RoomPrefix + room).Volatile.Emit("typing", new TypingNotice(NameOf(socket), room, m.Count > 0 && m.GetJson(0).ValueKind == JsonValueKind.True));
                }
            });
            socket.Disconnecting += static (s, reason) => Leave(s, reason);
        });
    }

    private static async ValueTask Join(SocketIOServer io, Socket socket, SocketMessage message)
    {
        var room = message.Count > 0 && message.GetJson(0).ValueKind == JsonValueKind.String
            ? Clean(message.Get<string>(0))
            : null;
        if (room is null)
        {
            message.Ack(new ErrorReply("join needs a room name"));
            return;
        }

        if (RoomOf(socket) != room)
        {
            Leave(socket, "left");
            socket.Join(RoomPrefix + room);
            socket.Data[RoomKey] = room;
            socket.To(RoomPrefix + room).Emit("user joined", new UserNotice(NameOf(socket), room, null));
        }

        message.Ack(new JoinReply(room, await UsersAsync(io, room).ConfigureAwait(false)));
    }

    private static void Relay(Socket socket, SocketMessage message)
    {
        if (RoomOf(socket) is not { } room)
        {
            message.Ack(new ErrorReply("join a room first"));
            return;
        }

        var text = message.Count > 0 && message.GetJson(0).ValueKind == JsonValueKind.String ? message.Get<string>(0) : null;
        if (string.IsNullOrWhiteSpace(text) || text.Length > MaxMessageLength)
        {
            message.Ack(new ErrorReply($"a message is 1 to {MaxMessageLength} characters of text"));
            return;
        }

        socket.To(RoomPrefix + room).Emit("message", new ChatMessage(NameOf(socket), room, text, DateTimeOffset.UtcNow));
        message.Ack(new OkReply(true));
    }

    /// <summary>Leaves the current room, telling the others why (<c>left</c>, or a disconnect reason).</summary>
    private static void Leave(Socket socket, string reason)
    {
        if (RoomOf(socket) is not { } room)
        {
            return;
        }

        socket.To(RoomPrefix + room).Emit("user left", new UserNotice(NameOf(socket), room, reason));
        socket.Leave(RoomPrefix + room);
        socket.Data.Remove(RoomKey);
    }

    /// <summary>The names in a room, wherever their sockets live (FetchSockets goes through the adapter, so a cluster works too).</summary>
    private static async Task<List<string>> UsersAsync(SocketIOServer io, string? room)
    {
        var users = new List<string>();
        if (room is null)
        {
            return users;
        }

        foreach (var member in await io.In(RoomPrefix + room).FetchSocketsAsync().ConfigureAwait(false))
        {
            if (member.Data.TryGetValue(NameKey, out var name) && name is string s)
            {
                users.Add(s);
            }
        }

        users.Sort(StringComparer.Ordinal);
        return users;
    }

    private static string NameFrom(Socket socket)
    {
        var auth = socket.Handshake.Auth;
        if (auth.ValueKind == JsonValueKind.Object && auth.TryGetProperty("name", out var name)
            && name.ValueKind == JsonValueKind.String && Clean(name.GetString()) is { } clean)
        {
            return clean;
        }

        return "guest-" + socket.Id[..5];
    }

    private static string? Clean(string? name)
    {
        name = name?.Trim();
        if (string.IsNullOrEmpty(name))
        {
            return null;
        }

        return name.Length > MaxNameLength ? name[..MaxNameLength] : name;
    }

    private static string NameOf(Socket socket) => (string)socket.Data[NameKey]!;

    private static string? RoomOf(Socket socket) => socket.Data.TryGetValue(RoomKey, out var room) ? room as string : null;

    private sealed record ChatMessage(string User, string Room, string Text, DateTimeOffset Time);

    private sealed record UserNotice(string User, string Room, string? Reason);

    private sealed record TypingNotice(string User, string Room, bool Typing);

    private sealed record JoinReply(string Room, List<string> Users);

    private sealed record OkReply(bool Ok);

    private sealed record ErrorReply(string Error);
}
