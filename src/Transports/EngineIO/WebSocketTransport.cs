using System.Buffers;
using FastIo.EngineIO;
using FastIo.Transports.WebSockets;

namespace FastIo.Transports.EngineIO;

/// <summary>
/// Engine.IO over one WebSocket: every packet is its own message. v4 sends binary messages as raw bytes; v3
/// prefixes them with the packet type byte.
/// </summary>
internal sealed class WebSocketTransport : EngineTransport, IWebSocketHandler
{
    /// <summary>Normal closure (RFC 6455 §7.4.1).</summary>
    private const ushort NormalClosure = 1000;

    private readonly int _protocol;
    private WebSocketConnection? _connection;
    private bool _closed;

    public WebSocketTransport(int protocol) => _protocol = protocol;

    public override string Name => "websocket";

    public override bool IsWritable => !_closed && _connection is { IsOpen: true };

    public override bool HandlesUpgrades => true;

    public override bool IsCongested => _connection?.IsCongested ?? false;

    /// <summary>Binds the connection; done once, before the session or upgrade is set up.</summary>
    public void Attach(WebSocketConnection connection) => _connection = connection;

    public override void Send(ReadOnlySpan<EnginePacket> packets)
    {
        var connection = _connection!;
        foreach (var packet in packets)
        {
            bool sent;
            if (packet.Shared is { } shared && _protocol != 3)
            {
                sent = connection.SendFrame(SharedFrame(shared), shared);
            }
            else if (packet.IsBinary)
            {
                sent = _protocol == 3 ? SendBinaryV3(connection, packet) : connection.Send(packet.Data.Span, WebSocketMessageType.Binary);
            }
            else
            {
                sent = SendText(connection, packet);
            }

            if (!sent)
            {
                // The outbound queue is over its bound (a consumer that does not read) or the socket is closing:
                // the session cannot go on without losing packets.
                connection.Abort();
                return;
            }
        }
    }

    /// <summary>A WebSocket frames what it sends into its own queued buffer before returning.</summary>
    public override bool CopiesOnSend => true;

    public override void SendTransient(EnginePacketType type, ReadOnlySpan<byte> utf8)
    {
        var connection = _connection!;
        if (!connection.Send((byte)('0' + (int)type), utf8, WebSocketMessageType.Text))
        {
            // As in Send: over the queue's bound or closing, the session cannot go on without losing packets.
            connection.Abort();
        }
    }

    public override void Close()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        _connection?.Close(NormalClosure, null);
    }

    public override void Discard()
    {
        // A WebSocket is never replaced by an upgrade.
    }

    public void OnMessage(WebSocketMessageType type, ReadOnlySequence<byte> payload)
    {
        var session = Session;
        if (session is null)
        {
            return;
        }

        if (payload.IsSingleSegment)
        {
            Dispatch(session, type, payload.FirstSpan);
            return;
        }

        var length = checked((int)payload.Length);
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            payload.CopyTo(rented);
            Dispatch(session, type, rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public void OnClosed(ushort? closeStatus, string? reason, Exception? error)
    {
        _closed = true;
        var session = Session;
        if (session is null)
        {
            return;
        }

        if (error is not null)
        {
            session.OnTransportError(this, error.Message);
        }
        else
        {
            session.OnTransportClosed(this);
        }
    }

    private void Dispatch(EngineSession session, WebSocketMessageType type, ReadOnlySpan<byte> data)
    {
        if (type == WebSocketMessageType.Binary && _protocol != 3)
        {
            session.OnPacket(this, EnginePacketType.Message, data, isBinary: true);
            return;
        }

        var ok = type == WebSocketMessageType.Binary
            ? EngineCodec.TryDecodeBinaryV3(data, out var packetType, out var packetData)
            : EngineCodec.TryDecodeText(data, out packetType, out packetData);
        if (!ok)
        {
            session.OnParseError(this);
            _connection?.Close(NormalClosure, null);
            return;
        }

        session.OnPacket(this, packetType, packetData, type == WebSocketMessageType.Binary);
    }

    /// <summary>The complete frame of a shared message, built by the first WebSocket that sends it (encode once, send many).</summary>
    private static ReadOnlyMemory<byte> SharedFrame(EngineMessage message)
    {
        if (message.PooledBuffer is { } buffer)
        {
            // A pooled text message keeps room for the header right before its type digit: the frame is a slice.
            int payloadLength = message.Data.Length + 1;
            int start = Volatile.Read(ref message.FrameStart);
            if (start < 0)
            {
                // Racing first senders write the same bytes to the same place, so a frame that another connection is
                // already copying never changes; whichever publishes the start, it is the same.
                start = EngineMessage.TypeIndex - WebSocketFrameWriter.GetHeaderSize(payloadLength);
                WebSocketFrameWriter.WriteHeader(buffer.AsSpan(start), WebSocketOpcode.Text, fin: true, payloadLength);
                Volatile.Write(ref message.FrameStart, start);
            }

            return buffer.AsMemory(start, EngineMessage.TypeIndex + payloadLength - start);
        }

        var frame = Volatile.Read(ref message.WebSocketFrame);
        if (frame is not null)
        {
            return frame;
        }

        var data = message.Data.Span;
        if (message.IsBinary)
        {
            frame = WebSocketFrameWriter.BuildFrame(data, WebSocketMessageType.Binary);
        }
        else
        {
            var payloadLength = data.Length + 1;
            frame = new byte[WebSocketFrameWriter.GetHeaderSize(payloadLength) + payloadLength];
            var header = WebSocketFrameWriter.WriteHeader(frame, WebSocketOpcode.Text, fin: true, payloadLength);
            frame[header] = (byte)('0' + (int)EnginePacketType.Message);
            data.CopyTo(frame.AsSpan(header + 1));
        }

        // Racing builders produce identical frames; whichever lands first is shared.
        return Interlocked.CompareExchange(ref message.WebSocketFrame, frame, null) ?? frame;
    }

    private static bool SendText(WebSocketConnection connection, in EnginePacket packet) =>
        connection.Send((byte)('0' + (int)packet.Type), packet.Data.Span, WebSocketMessageType.Text);

    private static bool SendBinaryV3(WebSocketConnection connection, in EnginePacket packet) =>
        connection.Send((byte)packet.Type, packet.Data.Span, WebSocketMessageType.Binary);
}
