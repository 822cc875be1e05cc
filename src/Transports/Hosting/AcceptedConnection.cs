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
}
