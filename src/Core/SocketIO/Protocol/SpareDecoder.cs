namespace FastIo.SocketIO.Protocol;

/// <summary>
/// One idle decoder per thread, lent to the next message that needs one. Per thread rather than one per server: the
/// messages that borrow one (client acks, binary events, every msgpack message) arrive on every shard's loop at once,
/// and a single shared spare made the two cores' loops bounce its cache line and, when both wanted it, build a new
/// decoder (bench/RESULTS.md 2026-11-26 "decoder spare": two threads decoding client acks, 37 instead of 44 ns per
/// message).
/// </summary>
internal static class SpareDecoder
{
    // The parser the spare belongs to: servers with different parsers (JSON, msgpack, a custom one) can share a
    // thread, and a spare is only lent to a server of the same parser. A thread keeps at most one decoder alive.
    [ThreadStatic]
    private static ISocketPacketParser? t_parser;

    [ThreadStatic]
    private static ISocketPacketDecoder? t_decoder;

    /// <summary>The thread's spare if it was made by <paramref name="parser"/>, else a new decoder of it.</summary>
    public static ISocketPacketDecoder Rent(ISocketPacketParser parser)
    {
        var decoder = t_decoder;
        if (decoder is not null && ReferenceEquals(t_parser, parser))
        {
            t_decoder = null;
            return decoder;
        }

        return parser.CreateDecoder();
    }

    /// <summary>Keeps an idle <paramref name="decoder"/> of <paramref name="parser"/> as the thread's spare.</summary>
    public static void Return(ISocketPacketParser parser, ISocketPacketDecoder decoder)
    {
        t_parser = parser;
        t_decoder = decoder;
    }
}
