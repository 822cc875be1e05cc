using System.IO.Pipelines;
using System.Net;

namespace FastIo.Transports.Hosting;

/// <summary>A connection a custom host handed in as a pipe (or a stream made one); the host owns its draining.</summary>
internal sealed class PipeAcceptedConnection(IDuplexPipe transport, EndPoint? remoteEndPoint, IDisposable? owner) : AcceptedConnection
{
    public override IDuplexPipe Transport => transport;

    public override EndPoint? RemoteEndPoint => remoteEndPoint;

    public override ValueTask CloseAsync()
    {
        owner?.Dispose();
        return ValueTask.CompletedTask;
    }
}
