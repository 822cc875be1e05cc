using System.Buffers;

namespace FastIo.Tests;

/// <summary>Builds multi-segment sequences from arrays.</summary>
internal static class TestSequence
{
    public static ReadOnlySequence<byte> Create(IReadOnlyList<byte[]> segments)
    {
        if (segments.Count == 0)
        {
            return ReadOnlySequence<byte>.Empty;
        }

        var first = new Segment(segments[0], 0);
        var last = first;
        for (var i = 1; i < segments.Count; i++)
        {
            last = last.Append(segments[i]);
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    public static List<byte[]> Segments(ReadOnlySequence<byte> sequence)
    {
        var list = new List<byte[]>();
        foreach (var memory in sequence)
        {
            if (!memory.IsEmpty)
            {
                list.Add(memory.ToArray());
            }
        }

        return list;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
