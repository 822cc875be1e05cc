namespace FastIo.SocketIO;

/// <summary>The reason strings socket.io gives a disconnection; applications already match on them.</summary>
public static class DisconnectReasons
{
    /// <summary>The connection closed (the user closed the page, the network dropped).</summary>
    public const string TransportClose = "transport close";

    /// <summary>The connection failed.</summary>
    public const string TransportError = "transport error";

    /// <summary>The client did not answer a ping in time.</summary>
    public const string PingTimeout = "ping timeout";

    /// <summary>The client sent something unparsable.</summary>
    public const string ParseError = "parse error";

    /// <summary>The Engine.IO session was closed by the server.</summary>
    public const string ForcedClose = "forced close";

    /// <summary>The server is stopping.</summary>
    public const string ServerShuttingDown = "server shutting down";

    /// <summary>The server closed the whole connection (e.g. <c>Disconnect(close: true)</c>, connect timeout).</summary>
    public const string ForcedServerClose = "forced server close";

    /// <summary>The server disconnected the socket from its namespace.</summary>
    public const string ServerNamespaceDisconnect = "server namespace disconnect";

    /// <summary>The client disconnected the socket from its namespace.</summary>
    public const string ClientNamespaceDisconnect = "client namespace disconnect";

    /// <summary>Reasons after which connection state recovery keeps the session (socket.io's list).</summary>
    internal static bool IsRecoverable(string reason) => reason is TransportError or TransportClose or ForcedClose
        or PingTimeout or ServerShuttingDown or ForcedServerClose;
}
