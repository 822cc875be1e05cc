using System.Text.Json;
using FastIo.EngineIO;
using FastIo.SocketIO.Protocol;
using FastIo.Timers;
using Microsoft.Extensions.Logging;

namespace FastIo.SocketIO;

/// <summary>
/// One Engine.IO session seen from Socket.IO (socket.io's <c>Client</c>): decodes its packets and multiplexes the
/// namespaces it connects to, one <see cref="Socket"/> each.
/// </summary>
internal sealed partial class SocketIOClient
{
    private readonly SocketIOServer _server;
    private readonly ISocketPacketDecoder _decoder;
    private readonly Dictionary<string, Socket> _sockets = new(StringComparer.Ordinal);
    private readonly ConnectTimer _connectTimer;
    private bool _closed;

    public SocketIOClient(SocketIOServer server, EngineSession session)
    {
        _server = server;
        Session = session;
        _decoder = server.Parser.CreateDecoder();
        _connectTimer = new ConnectTimer(this);
        server.Timers.Schedule(_connectTimer, server.Options.ConnectTimeout);
    }

    public EngineSession Session { get; }

    public bool IsOpen => !_closed && Session.State == EngineSessionState.Open;

    /// <summary>An Engine.IO message arrived.</summary>
    public void OnMessage(ReadOnlySpan<byte> data, bool isBinary)
    {
        var status = _decoder.Decode(data, isBinary, out var packet, out var error);
        if (status == SocketDecodeStatus.NeedMore)
        {
            return;
        }

        if (status == SocketDecodeStatus.Invalid)
        {
            // A protocol violation: socket.io closes the whole connection.
            Log.InvalidPacket(_server.Logger, Session.Id, error ?? "invalid packet");
            Session.Close();
            return;
        }

        OnPacket(packet!);
    }

    /// <summary>Connects to a namespace on the client's behalf (v3 clients are connected to <c>/</c> implicitly).</summary>
    public void Connect(string name, JsonElement auth)
    {
        var nsp = _server.FindNamespace(name, auth);
        if (nsp is null)
        {
            Send(PacketWriter.Control(SocketPacketType.ConnectError, name, new InvalidNamespace("Invalid namespace"), _server.JsonOptions));
            return;
        }

        _ = ConnectAsync(nsp, auth);
    }

    public void OnSocketConnected(Socket socket)
    {
        lock (_sockets)
        {
            _sockets[socket.Namespace.Name] = socket;
        }

        _server.Timers.Cancel(_connectTimer);
    }

    public void Remove(Socket socket)
    {
        lock (_sockets)
        {
            if (_sockets.TryGetValue(socket.Namespace.Name, out var current) && current == socket)
            {
                _sockets.Remove(socket.Namespace.Name);
            }
        }
    }

    /// <summary>Encodes and sends one packet to this client only.</summary>
    public void Send(SocketPacket packet) => Write(_server.Encode(packet), volatileFlag: false);

    /// <summary>Sends an encoded packet (possibly shared with other clients).</summary>
    public void Write(EngineMessage[] messages, bool volatileFlag)
    {
        if (!IsOpen || (volatileFlag && !Session.IsWritable))
        {
            return;
        }

        foreach (var message in messages)
        {
            Session.Send(message);
        }
    }

    /// <summary>Disconnects every socket (each gets DISCONNECT), then closes the connection.</summary>
    public void DisconnectAll()
    {
        foreach (var socket in Snapshot())
        {
            socket.Disconnect();
        }

        Close();
    }

    /// <summary>The Engine.IO session closed: every socket disconnects with its reason.</summary>
    public void OnClose(string reason)
    {
        _closed = true;
        _server.Timers.Cancel(_connectTimer);
        foreach (var socket in Snapshot())
        {
            socket.OnClose(reason);
        }
    }

    private void Close()
    {
        if (!IsOpen)
        {
            return;
        }

        Session.Close();
        OnClose(DisconnectReasons.ForcedServerClose);
    }

    private void OnPacket(SocketPacket packet)
    {
        Socket? socket;
        lock (_sockets)
        {
            _sockets.TryGetValue(packet.Namespace, out socket);
        }

        if (socket is null && packet.Type == SocketPacketType.Connect)
        {
            Connect(packet.Namespace, ParseAuth(packet.Data));
        }
        else if (socket is not null && packet.Type is not (SocketPacketType.Connect or SocketPacketType.ConnectError))
        {
            socket.OnPacket(packet);
        }
        else
        {
            // A packet for a namespace the client did not join, a second CONNECT, or a CONNECT_ERROR from a client.
            Log.UnexpectedPacket(_server.Logger, Session.Id, packet.Type.ToString(), packet.Namespace);
            Close();
        }
    }

    private async Task ConnectAsync(Namespace nsp, JsonElement auth)
    {
        try
        {
            await nsp.AddAsync(this, auth).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Log.ConnectFailed(_server.Logger, e, Session.Id, nsp.Name);
        }
    }

    private Socket[] Snapshot()
    {
        lock (_sockets)
        {
            var sockets = new Socket[_sockets.Count];
            _sockets.Values.CopyTo(sockets, 0);
            return sockets;
        }
    }

    private static JsonElement ParseAuth(ReadOnlyMemory<byte> data)
    {
        if (data.IsEmpty)
        {
            return default;
        }

        var reader = new Utf8JsonReader(data.Span);
        return JsonElement.ParseValue(ref reader);
    }

    private void OnConnectTimeout()
    {
        bool none;
        lock (_sockets)
        {
            none = _sockets.Count == 0;
        }

        if (none)
        {
            Log.ConnectTimeout(_server.Logger, Session.Id);
            Close();
        }
    }

    private sealed record InvalidNamespace([property: System.Text.Json.Serialization.JsonPropertyName("message")] string Message);

    private sealed class ConnectTimer(SocketIOClient client) : TimerEntry
    {
        protected internal override void OnTimer() => client.OnConnectTimeout();
    }

    private static partial class Log
    {
        [LoggerMessage(50, LogLevel.Information, "Session {Sid} sent an invalid packet ({Error}); closing it")]
        public static partial void InvalidPacket(ILogger logger, string sid, string error);

        [LoggerMessage(51, LogLevel.Information, "Session {Sid} sent {Type} for namespace {Namespace} out of order; closing it")]
        public static partial void UnexpectedPacket(ILogger logger, string sid, string type, string @namespace);

        [LoggerMessage(52, LogLevel.Error, "Connecting session {Sid} to {Namespace} failed")]
        public static partial void ConnectFailed(ILogger logger, Exception exception, string sid, string @namespace);

        [LoggerMessage(53, LogLevel.Debug, "Session {Sid} joined no namespace in time; closing it")]
        public static partial void ConnectTimeout(ILogger logger, string sid);
    }
}
