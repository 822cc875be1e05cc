using System.IO.Pipelines;
using System.Net;
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

    // Only while a handed-off protocol owns the connection (EndWhenCompleted): who ends it, and the protocol's task.
    private FastIoHost? _host;
    private Task? _protocol;

    /// <summary>
    /// Has <paramref name="host"/> end this connection once <paramref name="protocol"/> (the upgraded protocol it was
    /// handed off to, a WebSocket) completes. A continuation on the task rather than an async frame awaiting it: an
    /// idle WebSocket then holds one delegate (64 B) instead of the host's pending frame and its tracking entry
    /// (~270 B, S1, bench/RESULTS.md 2026-11-26 "heap").
    /// </summary>
    internal void EndWhenCompleted(Task protocol, FastIoHost host)
    {
        _host = host;
        _protocol = protocol;
        protocol.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(OnProtocolCompleted);
    }

    private void OnProtocolCompleted()
    {
        var host = _host!;
        var protocol = _protocol!;
        _host = null;
        _protocol = null;
        host.OnProtocolCompleted(this, protocol);
    }
}
