using System.Text.Json;

namespace FastIo.SocketIO;

/// <summary>Options of a <see cref="SocketIOServer"/>; defaults as socket.io 4.8.</summary>
public sealed class SocketIOServerOptions
{
    /// <summary>How long a client may take to connect to a namespace after opening its connection.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>Connection state recovery; null (the default) turns it off.</summary>
    public ConnectionStateRecoveryOptions? ConnectionStateRecovery { get; set; }

    /// <summary>The wire format: <see cref="SocketParser.Json"/> (default) or <see cref="SocketParser.MsgPack"/>.</summary>
    public SocketParser Parser { get; set; } = SocketParser.Json;

    /// <summary>How event arguments are (de)serialized; binary values always travel as attachments.</summary>
    public JsonSerializerOptions JsonSerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);

    /// <summary>Binary attachments one packet may carry; more closes the connection.</summary>
    public int MaxAttachments { get; set; } = 10;

    /// <summary>Creates each namespace's adapter; null uses the in-memory one.</summary>
    public Func<Namespace, Adapters.Adapter>? AdapterFactory { get; set; }

    /// <summary>Removes child namespaces of a dynamic parent once their last socket leaves.</summary>
    public bool CleanupEmptyChildNamespaces { get; set; }

    /// <summary>The clock behind connect and acknowledgement timeouts.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>The Socket.IO wire formats.</summary>
public enum SocketParser
{
    /// <summary>socket.io-parser: text packets, binary attachments as extra messages.</summary>
    Json,

    /// <summary>socket.io-msgpack-parser: every packet one binary message.</summary>
    MsgPack,
}

/// <summary>Connection state recovery: a client that lost its connection gets its id, rooms, data and missed packets back.</summary>
public sealed class ConnectionStateRecoveryOptions
{
    /// <summary>How long a session and the packets it missed are kept.</summary>
    public TimeSpan MaxDisconnectionDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Whether a recovered socket skips the namespace middleware.</summary>
    public bool SkipMiddlewares { get; set; } = true;
}
