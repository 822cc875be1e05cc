using System.IO.Pipelines;
using FastIo.Transports.Hosting;

namespace FastIo.Tests.WebSockets;

/// <summary>A <see cref="SocketInput"/> fed by the test instead of a socket's receive loop.</summary>
internal static class TestSocketInputs
{
    /// <summary>An input whose read continuations run on <paramref name="readerScheduler"/> (inline by default).</summary>
    public static SocketInput Create(PipeScheduler? readerScheduler = null)
    {
        var scheduler = readerScheduler ?? PipeScheduler.Inline;
        var options = new PipeOptions(null, scheduler, scheduler, 64 * 1024, 32 * 1024, 4096, useSynchronizationContext: false);
        return new SocketInput(new NoOwner(), options);
    }

    /// <summary>Appends <paramref name="data"/> as one receive (at most a block); what the receive loop is told.</summary>
    public static SocketInput.AppendResult Receive(SocketInput input, ReadOnlySpan<byte> data)
    {
        var segment = input.RentSegment();
        data.CopyTo(segment.Writable.Span);
        return input.Append(segment, data.Length);
    }

    /// <summary>Never paused for long: the tests' inputs stay under the pause threshold.</summary>
    private sealed class NoOwner : ISocketInputOwner
    {
        public void ResumeReceiving()
        {
        }
    }
}
