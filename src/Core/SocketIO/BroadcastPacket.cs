using FastIo.EngineIO;
using FastIo.SocketIO.Protocol;

namespace FastIo.SocketIO;

/// <summary>
/// A packet written for one broadcast (<see cref="PacketWriter.RentBroadcast"/>) and the reference to its pooled
/// message that the emitter holds until <see cref="PacketWriter.ReturnBroadcast"/>; <see cref="Message"/> is null
/// when the packet owns its bytes (binary arguments).
/// </summary>
internal readonly record struct BroadcastPacket(SocketPacket Packet, EngineMessage? Message);
