using System.Buffers.Binary;
using System.Text;

namespace FastIo.LoadGen;

/// <summary>
/// Client frames built once and masked once (RFC 6455 §5.3): the generator never masks on the hot path; an
/// echo frame only gets its nine ack-id digits re-written, each XORed with its key byte.
/// </summary>
internal static class WsFrames
{
    /// <summary>Ack ids are <see cref="AckIdBase"/> + sequence, always nine digits, so they patch in place.</summary>
    public const long AckIdBase = 100_000_000;

    public const int AckIdDigits = 9;

    public static byte[] Text(string payload, uint maskKey) => Masked(Encoding.UTF8.GetBytes(payload), maskKey);

    public static byte[] Masked(ReadOnlySpan<byte> payload, uint maskKey)
    {
        int headerLength = PayloadOffset(payload.Length);
        var frame = new byte[headerLength + payload.Length];
        frame[0] = 0x81; // FIN + text
        if (payload.Length < 126)
        {
            frame[1] = (byte)(0x80 | payload.Length);
        }
        else if (payload.Length <= ushort.MaxValue)
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        }
        else
        {
            frame[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
        }

        var key = frame.AsSpan(headerLength - 4, 4);
        BinaryPrimitives.WriteUInt32LittleEndian(key, maskKey);
        for (int i = 0; i < payload.Length; i++)
        {
            frame[headerLength + i] = (byte)(payload[i] ^ key[i & 3]);
        }

        return frame;
    }

    /// <summary>Where the payload starts in a masked client frame of <paramref name="payloadLength"/> bytes.</summary>
    public static int PayloadOffset(int payloadLength) =>
        (payloadLength < 126 ? 2 : payloadLength <= ushort.MaxValue ? 4 : 10) + 4;

    /// <summary>
    /// An event frame <c>42&lt;id&gt;["name",args]</c> whose id digits sit at payload offset 2; the id is
    /// patched per send with <see cref="PatchAckId"/>.
    /// </summary>
    public static byte[] EventWithAck(string name, string jsonArgsAfterName, uint maskKey) =>
        Text("42" + AckIdBase.ToString(System.Globalization.CultureInfo.InvariantCulture) + "[\"" + name + "\"" + jsonArgsAfterName + "]", maskKey);

    /// <summary>Writes the nine digits of <paramref name="ackId"/> into a frame from <see cref="EventWithAck"/>.</summary>
    public static void PatchAckId(byte[] frame, long ackId)
    {
        int payloadOffset = PayloadOffset(PayloadLength(frame));
        var key = frame.AsSpan(payloadOffset - 4, 4);
        for (int j = AckIdDigits - 1; j >= 0; j--)
        {
            int pos = 2 + j;
            frame[payloadOffset + pos] = (byte)(('0' + (int)(ackId % 10)) ^ key[pos & 3]);
            ackId /= 10;
        }
    }

    private static int PayloadLength(byte[] frame)
    {
        int len7 = frame[1] & 0x7F;
        return len7 < 126 ? len7 : len7 == 126 ? BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(2)) : (int)BinaryPrimitives.ReadUInt64BigEndian(frame.AsSpan(2));
    }
}
