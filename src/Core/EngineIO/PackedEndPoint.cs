using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace FastIo.EngineIO;

/// <summary>
/// A peer's endpoint kept as its bytes, inline in the object that holds it, and made into an <see cref="EndPoint"/> on
/// each use (<see cref="ToEndPoint"/>).
/// </summary>
/// <remarks>
/// An idle connection's peer is read once, if ever (socket.io's <c>handshake.address</c>), but was held for hours as
/// an <see cref="IPEndPoint"/>, its <see cref="IPAddress"/> and, for IPv6 (every IPv4 peer of a dual-stack listener
/// comes IPv4-mapped), the address's <c>ushort[8]</c>: ~112 B, against 32 B here (S1, bench/RESULTS.md 2026-11-26
/// "heap"). Endpoints of other kinds (a Unix domain socket's) are kept as they are.
/// </remarks>
internal readonly struct PackedEndPoint
{
    private readonly EndPoint? _other; // not an IP endpoint
    private readonly ulong _high; // IPv6: bytes 0-7 of the address, network order as read little-endian
    private readonly ulong _low; // IPv6: bytes 8-15; IPv4: the 4 bytes
    private readonly uint _scopeId;
    private readonly ushort _port;
    private readonly byte _version; // 4 or 6; 0: no endpoint, or _other (a byte: the struct stays 32 B)

    /// <summary>Packs <paramref name="endPoint"/> (null stays null).</summary>
    public PackedEndPoint(EndPoint? endPoint)
    {
        if (endPoint is not IPEndPoint ip)
        {
            _other = endPoint;
            return;
        }

        Span<byte> bytes = stackalloc byte[16];
        ip.Address.TryWriteBytes(bytes, out var written);
        _port = (ushort)ip.Port;
        if (ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            _version = 6;
            _high = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            _low = BinaryPrimitives.ReadUInt64LittleEndian(bytes[8..]);
            _scopeId = (uint)ip.Address.ScopeId;
        }
        else
        {
            _version = 4;
            _low = BinaryPrimitives.ReadUInt32LittleEndian(bytes[..written]);
        }
    }

    /// <summary>Packs an IP endpoint given as its address bytes (4 or 16, network order) and port, as accept reports it.</summary>
    public PackedEndPoint(ReadOnlySpan<byte> address, ushort port, uint scopeId)
    {
        _port = port;
        if (address.Length == 16)
        {
            _version = 6;
            _high = BinaryPrimitives.ReadUInt64LittleEndian(address);
            _low = BinaryPrimitives.ReadUInt64LittleEndian(address[8..]);
            _scopeId = scopeId;
        }
        else
        {
            _version = 4;
            _low = BinaryPrimitives.ReadUInt32LittleEndian(address);
        }
    }

    /// <summary>A new endpoint equal to the one packed, or null.</summary>
    public EndPoint? ToEndPoint()
    {
        switch (_version)
        {
            case 4:
                Span<byte> v4 = stackalloc byte[4];
                BinaryPrimitives.WriteUInt32LittleEndian(v4, (uint)_low);
                return new IPEndPoint(new IPAddress(v4), _port);
            case 6:
                Span<byte> v6 = stackalloc byte[16];
                BinaryPrimitives.WriteUInt64LittleEndian(v6, _high);
                BinaryPrimitives.WriteUInt64LittleEndian(v6[8..], _low);
                return new IPEndPoint(new IPAddress(v6, _scopeId), _port);
            default:
                return _other;
        }
    }
}
