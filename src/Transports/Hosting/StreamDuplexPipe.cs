using System.IO.Pipelines;

namespace FastIo.Transports.Hosting;

/// <summary>A stream (TLS, a custom transport) seen as a duplex pipe; disposing it disposes the stream.</summary>
internal sealed class StreamDuplexPipe(Stream stream) : IDuplexPipe, IDisposable
{
    public PipeReader Input { get; } = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true, useZeroByteReads: true));

    public PipeWriter Output { get; } = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));

    public void Dispose() => stream.Dispose();
}
