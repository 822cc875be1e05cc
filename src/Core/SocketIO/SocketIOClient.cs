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
    private const string MainNamespace = "/";

    private readonly SocketIOServer _server;
    private readonly bool _jsonParser;
    // Only while a binary packet awaits its attachments (SocketIOServer.RentDecoder): an idle connection needs none.
    private ISocketPacketDecoder? _decoder;
    // The state below is guarded by this object's own monitor rather than a Lock object of its own: the client is
    // internal and nothing else locks it, and a connection lives for hours mostly idle (40 B per idle connection, S1).
    private SocketsByNamespace _sockets; // under lock (this)
    // Namespaces with a connect in progress (under lock (this)): nearly always one, kept in a field; a set only while
    // a client connects to several at once. Nothing is kept once none is left: a connected client lives for hours.
    private string? _connectingOne;
    private HashSet<string>? _connectingMore;
    // Dropped once cancelled: a connected client lives for hours and needs no connect timeout any more.
    private ConnectTimer? _connectTimer;
    private bool _closed;

    public SocketIOClient(SocketIOServer server, EngineSession session)
    {
        _server = server;
        Session = session;
        _jsonParser = server.Parser is SocketIOJsonParser;
        _connectTimer = new ConnectTimer(this);
        server.Timers.Schedule(_connectTimer, server.Options.ConnectTimeout);
    }

    public EngineSession Session { get; }

    /// <summary>For tests: whether the client holds a decoder (only while a binary packet awaits its attachments).</summary>
    internal bool HoldsDecoder => _decoder is not null;

    public bool IsOpen => !_closed && Session.State == EngineSessionState.Open;

    /// <summary>An Engine.IO message arrived.</summary>
    public void OnMessage(ReadOnlySpan<byte> data, bool isBinary)
    {
        // The common case, a text event for a connected namespace, goes to its socket in place: no packet, no copy.
        if (!isBinary && _jsonParser && _decoder is null && SocketIOJsonDecoder.TryDecodeEvent(data, out var view) && FindSocket(view.NamespaceUtf8) is { } target)
        {
            target.OnEvent(view.Payload, ReadOnlyMemory<byte>.Empty, view.AckId, Array.Empty<ReadOnlyMemory<byte>>());
            return;
        }

        // Messages of one session arrive one at a time (its transport's receive loop), so _decoder needs no lock.
        var decoder = _decoder ?? _server.RentDecoder();
        var status = decoder.Decode(data, isBinary, out var packet, out var error);
        if (decoder.IsIdle)
        {
            _decoder = null;
            _server.ReturnDecoder(decoder);
        }
        else
        {
            _decoder = decoder;
        }

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
        lock (this)
        {
            // One mark per namespace (a set's Add), ended by whichever connect to it finishes first.
            if (!IsConnectingLocked(name))
            {
                if (_connectingOne is null)
                {
                    _connectingOne = name;
                }
                else
                {
                    (_connectingMore ??= new HashSet<string>(StringComparer.Ordinal)).Add(name);
                }
            }
        }

        var nsp = _server.FindNamespace(name, auth);
        if (nsp is null)
        {
            EndConnecting(name);
            object error = Session.Protocol == 3 ? "Invalid namespace" : new InvalidNamespace("Invalid namespace");
            Send(PacketWriter.Control(SocketPacketType.ConnectError, name, error, _server.JsonOptions));
            return;
        }

        _ = ConnectAsync(nsp, auth);
    }

    /// <summary>Publishes a socket whose namespace accepted it; false once the client is closed (the caller cleans up).</summary>
    public bool TryAddSocket(Socket socket)
    {
        lock (this)
        {
            if (_closed)
            {
                return false;
            }

            _sockets.Set(socket);
        }

        CancelConnectTimer();
        return true;
    }

    public void Remove(Socket socket)
    {
        lock (this)
        {
            _sockets.Remove(socket);
        }
    }

    /// <summary>Encodes and sends one packet to this client only.</summary>
    public void Send(SocketPacket packet) => Write(packet, volatileFlag: false);

    /// <summary>
    /// Sends an encoded packet (possibly shared with other clients) as one unit, so that another thread's packet never
    /// lands between a binary packet and its attachments. False when it was not sent (closed, or volatile and busy).
    /// </summary>
    public bool Write(in EncodedMessages messages, bool volatileFlag) =>
        !_closed && Session.Send(
            messages.All ?? new ReadOnlySpan<EngineMessage>(in messages.Single!),
            onlyIfWritable: volatileFlag);

    /// <summary>
    /// Sends an EVENT (<paramref name="eventName"/> set) or ACK to this client alone. With the JSON parser and no binary
    /// arguments it is encoded into a per-thread scratch buffer that the session copies (nothing allocated); otherwise
    /// through the parser.
    /// </summary>
    public bool SendArray(string nsp, string? eventName, ReadOnlySpan<object?> args, long ackId, bool volatileFlag) =>
        SendArray(nsp, eventName, new ObjectArguments(args), ackId, volatileFlag);

    /// <inheritdoc cref="SendArray(string, string?, ReadOnlySpan{object?}, long, bool)"/>
    public bool SendArray<TArgs>(string nsp, string? eventName, TArgs args, long ackId, bool volatileFlag)
        where TArgs : IPacketArguments, allows ref struct
    {
        SocketPacket? packet;
        if (_server.Parser is SocketIOJsonParser)
        {
            if (_closed)
            {
                return false;
            }

            if (PacketWriter.SendJsonText(Session, volatileFlag, nsp, eventName, args, ackId, _server.JsonOptions, out packet))
            {
                return true;
            }

            if (packet is null)
            {
                return false; // refused by the session (closed, or volatile and busy)
            }
        }
        else
        {
            packet = PacketWriter.Array(nsp, eventName, args, ackId, _server.JsonOptions);
        }

        return Write(packet, volatileFlag);
    }

    private bool Write(SocketPacket packet, bool volatileFlag)
    {
        var encoded = _server.Encode(packet);
        try
        {
            return Write(encoded, volatileFlag);
        }
        finally
        {
            encoded.Release();
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
        Socket[] sockets;
        lock (this)
        {
            // Closed and snapshotted under one lock: a socket is either in this snapshot or refused by TryAddSocket.
            _closed = true;
            sockets = SnapshotLocked();
        }

        CancelConnectTimer();
        foreach (var socket in sockets)
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
        // Socket.IO v2 clients (v3) may put a query on a CONNECT's namespace; socket.io looks the namespace up by its
        // path alone, so that a second CONNECT with a query is caught as one.
        var path = packet.Namespace;
        var query = Session.Protocol == 3 ? path.IndexOf('?', StringComparison.Ordinal) : -1;
        if (query >= 0)
        {
            path = path[..query];
        }

        Socket? socket;
        lock (this)
        {
            _sockets.TryGet(path, out socket);
        }

        if (packet.Namespace.Length == 0 || packet.Namespace[0] != '/')
        {
            Log.UnexpectedPacket(_server.Logger, Session.Id, packet.Type.ToString(), packet.Namespace);
            Close();
            return;
        }

        if (socket is null && packet.Type == SocketPacketType.Connect)
        {
            if (IsConnecting(path))
            {
                // A second CONNECT while the first is still in middleware: a protocol violation, and a way to pile up
                // sockets; socket.io closes the connection too.
                Log.UnexpectedPacket(_server.Logger, Session.Id, packet.Type.ToString(), packet.Namespace);
                Close();
                return;
            }

            Connect(path, Session.Protocol == 3 ? V3Auth(packet.Namespace, query) : ParseAuth(packet.Data));
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

    /// <summary>The socket of a namespace given as sent (empty or <c>/</c> for the main one), found without making a string.</summary>
    private Socket? FindSocket(ReadOnlySpan<byte> nspUtf8)
    {
        const int MaxStackName = 256;
        if (nspUtf8.Length <= 1)
        {
            lock (this)
            {
                return _sockets.TryGet(MainNamespace, out var main) ? main : null;
            }
        }

        if (nspUtf8.Length > MaxStackName)
        {
            return null; // the general path handles it
        }

        Span<char> chars = stackalloc char[MaxStackName];
        if (!System.Text.Encoding.UTF8.TryGetChars(nspUtf8, chars, out int length))
        {
            return null;
        }

        lock (this)
        {
            return _sockets.TryGet(chars[..length], out var socket) ? socket : null;
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
        finally
        {
            EndConnecting(nsp.Name);
        }
    }

    private bool IsConnecting(string name)
    {
        lock (this)
        {
            return IsConnectingLocked(name);
        }
    }

    private bool IsConnectingLocked(string name) =>
        string.Equals(_connectingOne, name, StringComparison.Ordinal) || (_connectingMore?.Contains(name) ?? false);

    private void EndConnecting(string name)
    {
        lock (this)
        {
            if (string.Equals(_connectingOne, name, StringComparison.Ordinal))
            {
                _connectingOne = null;
            }
            else if (_connectingMore is { } more && more.Remove(name) && more.Count == 0)
            {
                _connectingMore = null;
            }
        }
    }

    /// <summary>
    /// Socket.IO v2 clients put the auth in the namespace's query (<c>/admin?token=x</c>): the name is the path (cut by
    /// the caller at <paramref name="q"/>, the '?' or -1) and the query becomes the auth object, as socket.io's
    /// <c>_parseNamespace</c> does.
    /// </summary>
    private static JsonElement V3Auth(string nsp, int q)
    {
        if (q < 0)
        {
            return default;
        }

        var auth = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in nsp[(q + 1)..].Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString((eq < 0 ? pair : pair[..eq]).Replace('+', ' '));
            auth[key] = eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].Replace('+', ' '));
        }

        return JsonSerializer.SerializeToElement(auth);
    }

    private Socket[] Snapshot()
    {
        lock (this)
        {
            return SnapshotLocked();
        }
    }

    private Socket[] SnapshotLocked() => _sockets.ToArray();

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
        lock (this)
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

    private void CancelConnectTimer()
    {
        if (Interlocked.Exchange(ref _connectTimer, null) is { } timer)
        {
            _server.Timers.Cancel(timer);
        }
    }

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
