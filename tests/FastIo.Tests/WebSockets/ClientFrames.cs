using System.Buffers.Binary;
using System.Text;
using FastIo.Transports.WebSockets;

namespace FastIo.Tests.WebSockets;

/// <summary>Builds client-to-server frames the way a browser would (masked), with knobs to break the rules.</summary>
internal static class ClientFrames
{
    public static readonly byte[] DefaultMask = [0x37, 0xFA, 0x21, 0x3D];

    public enum LengthEncoding
    {
        Minimal,
        Sixteen,
        SixtyFour,
    }

    public static byte[] Build(
        WebSocketOpcode opcode,
        ReadOnlySpan<byte> payload,
        bool fin = true,
        bool masked = true,
        byte rsv = 0,
        byte[]? mask = null,
        LengthEncoding encoding = LengthEncoding.Minimal,
        ulong? rawLength = null)
    {
        mask ??= DefaultMask;
        ulong length = rawLength ?? (ulong)payload.Length;
        var header = new List<byte> { (byte)((fin ? 0x80 : 0) | (rsv << 4) | (byte)opcode) };
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        if (encoding == LengthEncoding.Minimal && length <= 125)
        {
            header.Add((byte)(maskBit | (byte)length));
        }
        else if (encoding != LengthEncoding.SixtyFour && length <= ushort.MaxValue)
        {
            header.Add((byte)(maskBit | 126));
            var ext = new byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(ext, (ushort)length);
            header.AddRange(ext);
        }
        else
        {
            header.Add((byte)(maskBit | 127));
            var ext = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(ext, length);
            header.AddRange(ext);
        }

        if (masked)
        {
            header.AddRange(mask);
        }

        var frame = new byte[header.Count + payload.Length];
        header.CopyTo(frame);
        for (int i = 0; i < payload.Length; i++)
        {
            frame[header.Count + i] = masked ? (byte)(payload[i] ^ mask[i % 4]) : payload[i];
        }

        return frame;
    }

    public static byte[] Text(string text, bool fin = true) => Build(WebSocketOpcode.Text, Encoding.UTF8.GetBytes(text), fin);

    public static byte[] Close(ushort code, string reason = "")
    {
        byte[] reasonBytes = Encoding.UTF8.GetBytes(reason);
        var payload = new byte[2 + reasonBytes.Length];
        BinaryPrimitives.WriteUInt16BigEndian(payload, code);
        reasonBytes.CopyTo(payload, 2);
        return Build(WebSocketOpcode.Close, payload);
    }

    public static byte[] Concat(params byte[][] frames)
    {
        int total = 0;
        foreach (byte[] f in frames)
        {
            total += f.Length;
        }

        var all = new byte[total];
        int offset = 0;
        foreach (byte[] f in frames)
        {
            f.CopyTo(all, offset);
            offset += f.Length;
        }

        return all;
    }
}
