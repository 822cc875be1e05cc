using System.IO.Pipelines;

namespace FastIo.Tests;

/// <summary>A transport made of a reader and a writer, for tests that wire a server to in-memory pipes.</summary>
internal sealed class TestDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;
}
