using System.Buffers;

namespace FastIo.Transports.WebSockets;

internal sealed partial class WebSocketConnection
{
    /// <summary>
    /// The frames queued for the drain loop, kept inside the connection: the first frame in a field, the others in an
    /// array rented from <see cref="ArrayPool{T}.Shared"/> only while two or more wait.
    /// </summary>
    /// <remarks>
    /// Why not two <see cref="List{T}"/>s swapped by the drain (as before): an idle connection held both lists and
    /// their arrays, ~300 B of its 3 KB (S1, bench/RESULTS.md 2026-11-26 "heap"). A reply to one message (echo, ack)
    /// queues one frame, which needs no array at all; a burst rents one array for the whole burst, and the drain gives
    /// it back when it finds the queue empty, so nothing is held between messages and nothing is allocated per message.
    /// A mutable struct, moved as a whole only by <see cref="TakeAll"/>, which hands the queue to the drain.
    /// </remarks>
    private struct OutboundQueue
    {
        /// <summary>The first rental: room for a burst of a few frames (S5b's bursts are 10).</summary>
        private const int FirstRestLength = 16;

        private OutboundFrame _first;
        private OutboundFrame[]? _rest; // frames 2..Count, when rented
        private int _count;

        public readonly int Count => _count;

        /// <summary>Whether the queue holds a rented array (none while the connection is idle).</summary>
        public readonly bool HoldsArray => _rest is not null;

        public void Add(in OutboundFrame frame)
        {
            if (_count == 0)
            {
                _first = frame;
            }
            else
            {
                var rest = _rest;
                if (rest is null)
                {
                    _rest = rest = ArrayPool<OutboundFrame>.Shared.Rent(FirstRestLength);
                }
                else if (_count - 1 == rest.Length)
                {
                    var larger = ArrayPool<OutboundFrame>.Shared.Rent(rest.Length * 2);
                    rest.AsSpan().CopyTo(larger);
                    ReturnArray(rest, rest.Length);
                    _rest = rest = larger;
                }

                rest[_count - 1] = frame;
            }

            _count++;
        }

        public readonly OutboundFrame this[int index] => index == 0 ? _first : _rest![index - 1];

        /// <summary>Moves every frame out into the result (the drain's batch) and leaves this queue empty, without an array.</summary>
        public OutboundQueue TakeAll()
        {
            var all = this;
            this = default;
            return all;
        }

        /// <summary>Takes <paramref name="array"/> (an emptied batch's) for the frames that come next, unless the queue rented its own.</summary>
        public bool TryAdopt(OutboundFrame[] array)
        {
            if (_rest is not null)
            {
                return false;
            }

            _rest = array;
            return true;
        }

        /// <summary>Forgets the frames (after they were released) and hands back the array for reuse, or null.</summary>
        public OutboundFrame[]? Clear()
        {
            var rest = _rest;
            if (rest is not null)
            {
                // Cleared so that neither the pool nor the next batch keeps buffers or messages reachable.
                rest.AsSpan(0, Math.Max(0, _count - 1)).Clear();
            }

            this = default;
            return rest;
        }

        /// <summary>Gives the array back to the pool (the queue is empty): an idle connection holds none.</summary>
        public void ReturnArray()
        {
            if (Clear() is { } rest)
            {
                ReturnArray(rest, 0);
            }
        }

        private static void ReturnArray(OutboundFrame[] array, int used)
        {
            array.AsSpan(0, used).Clear();
            ArrayPool<OutboundFrame>.Shared.Return(array);
        }
    }
}
