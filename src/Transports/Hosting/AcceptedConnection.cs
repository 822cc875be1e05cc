using System.IO.Pipelines;
using System.Net;
using FastIo.Transports.Http;
using FastIo.Transports.Sharding;

namespace FastIo.Transports.Hosting;

/// <summary>An accepted connection: its pipe, its peer, and how to release it once served.</summary>
internal abstract class AcceptedConnection
{
    public abstract IDuplexPipe Transport { get; }

    public abstract EndPoint? RemoteEndPoint { get; }

    /// <summary>The reader scheduler of <see cref="Transport"/>'s input when the connection was made retargetable to a shard.</summary>
    public virtual ConnectionScheduler? Scheduler => null;

    /// <summary>
    /// Releases the connection after the application completed <see cref="Transport"/>'s output: what was
    /// written must still reach the peer (an error response before a close, a close frame).
    /// </summary>
    public abstract ValueTask CloseAsync();

    // Only while a handed-off protocol owns the connection (EndWhenEnded): who ends it.
    private FastIoHost? _host;

    /// <summary>
    /// Has <paramref name="host"/> end this connection once <paramref name="protocol"/> (the upgraded protocol it was
    /// handed off to, a WebSocket) has ended. A callback rather than an async frame awaiting it or a continuation
    /// on a task: an idle WebSocket then holds nothing for its host but this field (S1, bench/RESULTS.md 2026-11-26
    /// "heap" and "receive callback").
    /// </summary>
    internal void EndWhenEnded(IUpgradedProtocol protocol, FastIoHost host)
    {
        _host = host;
        protocol.OnEnded(static state => ((AcceptedConnection)state!).OnProtocolEnded(), this);
    }

    private void OnProtocolEnded()
    {
        var host = _host!;
        _host = null;
        host.OnProtocolEnded(this);
    }
}
