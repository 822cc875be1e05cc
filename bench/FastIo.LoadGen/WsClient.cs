using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FastIo.LoadGen;

/// <summary>
/// One Socket.IO client over a raw WebSocket: handshake once, then pre-masked frames out and a byte-level frame
/// scanner in that reads only the first bytes of each payload (packet type and ack id), never JSON.
/// </summary>
internal sealed class WsClient : IDisposable
{
    /// <summary>Send timestamps are kept per ack id in a ring; more than this many in flight per client would alias.</summary>
    public const int RingSize = 4096;

    private const int PrefixLength = 48;
    private static readonly byte[] s_headerEnd = "\r\n\r\n"u8.ToArray();

    private readonly Socket _socket;
    private readonly byte[] _receive;
    private readonly Lock _sendLock = new();
    private readonly byte[] _pong;
    private readonly byte[] _connect;
    private readonly byte[] _probe;
    private readonly byte[] _upgrade;
    private readonly bool _viaUpgrade;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly byte[] _header = new byte[10];
    private readonly byte[] _prefix = new byte[PrefixLength];
    private int _headerLength;
    private int _opcode;
    private long _remaining;
    private int _prefixLength;
    private bool _inPayload;
    private byte[]? _echoFrame;
    private byte[]? _batch;
    private int _batchLength;
    private long _sequence;

    private WsClient(Socket socket, uint maskKey, bool viaUpgrade, int receiveBufferSize)
    {
        _socket = socket;
        _viaUpgrade = viaUpgrade;
        _receive = new byte[receiveBufferSize];
        _pong = WsFrames.Text("3", maskKey);
        _connect = WsFrames.Text("40", maskKey);
        _probe = WsFrames.Text("2probe", maskKey);
        _upgrade = WsFrames.Text("5", maskKey);
        MaskKey = maskKey;
    }

    public uint MaskKey { get; }

    public ClientSink Sink { get; set; } = ClientSink.None;

    /// <summary>Send timestamps (Stopwatch ticks) by sequence, for latency.</summary>
    public long[] SendTimes { get; } = new long[RingSize];

    public bool Closed { get; private set; }

    /// <summary>
    /// Connects from <paramref name="local"/> to <paramref name="server"/> (loopback only) and completes once the
    /// Socket.IO connect of the main namespace is acknowledged; <paramref name="sid"/> set means the session was
    /// opened over polling and this connection upgrades it (probe, then upgrade packet).
    /// </summary>
    public static async Task<WsClient> ConnectAsync(IPAddress local, IPEndPoint server, string? sid, int receiveBufferSize, CancellationToken cancellationToken)
    {
        Loopback.Require(server.Address);
        var socket = Loopback.NewSocket(local);
        var client = new WsClient(socket, (uint)Random.Shared.Next() | 1, sid is not null, receiveBufferSize);
        try
        {
            await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
            var target = sid is null ? "/socket.io/?EIO=4&transport=websocket" : "/socket.io/?EIO=4&transport=websocket&sid=" + sid;
            var request = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
            await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None, cancellationToken).ConfigureAwait(false);
            int filled = 0;
            int end;
            while ((end = client._receive.AsSpan(0, filled).IndexOf(s_headerEnd)) < 0)
            {
                int n = await socket.ReceiveAsync(client._receive.AsMemory(filled), SocketFlags.None, cancellationToken).ConfigureAwait(false);
                if (n == 0 || filled + n == client._receive.Length)
                {
                    throw new IOException("handshake: connection closed or response head too large");
                }

                filled += n;
            }

            if (!client._receive.AsSpan(0, 13).SequenceEqual("HTTP/1.1 101 "u8))
            {
                throw new IOException("handshake refused: " + Encoding.ASCII.GetString(client._receive, 0, Math.Min(filled, 80)));
            }

            if (sid is not null)
            {
                client.Send(client._probe);
            }

            client.Process(client._receive.AsSpan(end + 4, filled - end - 4));
            _ = client.ReceiveLoopAsync();
            await client._ready.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Sends a frame built by <see cref="WsFrames"/>; the bytes must not change while this runs.</summary>
    public void Send(byte[] frame)
    {
        lock (_sendLock)
        {
            SendLocked(frame);
        }
    }

    /// <summary>Uses <paramref name="frame"/> (from <see cref="WsFrames.EventWithAck"/>) for <see cref="SendWithAck"/>; owned by this client.</summary>
    public void SetAckFrame(byte[] frame) => _echoFrame = frame;

    /// <summary>Sends the ack frame under the next ack id, stamping the send time; returns the sequence number.</summary>
    public long SendWithAck(long timestamp)
    {
        var frame = _echoFrame ?? throw new InvalidOperationException("no ack frame set");
        lock (_sendLock)
        {
            long sequence = _sequence++;
            SendTimes[sequence & (RingSize - 1)] = timestamp;
            WsFrames.PatchAckId(frame, WsFrames.AckIdBase + sequence);
            SendLocked(frame);
            return sequence;
        }
    }

    /// <summary>
    /// Like <see cref="SendWithAck"/> but from the receive path: frames queued while one read is processed go
    /// out in one send after it (the generator pays one syscall per read, not per message).
    /// </summary>
    public void QueueWithAck(long timestamp)
    {
        var frame = _echoFrame ?? throw new InvalidOperationException("no ack frame set");
        lock (_sendLock)
        {
            _batch ??= new byte[frame.Length * 64];
            if (_batchLength + frame.Length > _batch.Length)
            {
                FlushLocked();
            }

            long sequence = _sequence++;
            SendTimes[sequence & (RingSize - 1)] = timestamp;
            WsFrames.PatchAckId(frame, WsFrames.AckIdBase + sequence);
            frame.CopyTo(_batch, _batchLength);
            _batchLength += frame.Length;
        }
    }

    public void Dispose()
    {
        Closed = true;
        _socket.Dispose();
    }

    private void FlushLocked()
    {
        if (_batchLength > 0)
        {
            SendLocked(_batch!, _batchLength);
            _batchLength = 0;
        }
    }

    private void SendLocked(byte[] frame, int length = -1)
    {
        if (length < 0)
        {
            length = frame.Length;
        }

        try
        {
            int sent = 0;
            while (sent < length)
            {
                sent += _socket.Send(frame, sent, length - sent, SocketFlags.None);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            Closed = true;
        }
    }

    private async Task ReceiveLoopAsync()
    {
        try
        {
            while (true)
            {
                int n = await _socket.ReceiveAsync(_receive, SocketFlags.None).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }

                Process(_receive.AsSpan(0, n));
                if (_batchLength > 0)
                {
                    lock (_sendLock)
                    {
                        FlushLocked();
                    }
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            Closed = true;
            _ready.TrySetException(new IOException("connection closed before the Socket.IO connect"));
        }
    }

    /// <summary>Server frames are unmasked (§5.1); only the first <see cref="PrefixLength"/> payload bytes are kept.</summary>
    private void Process(ReadOnlySpan<byte> data)
    {
        int i = 0;
        while (i < data.Length)
        {
            if (!_inPayload)
            {
                _header[_headerLength++] = data[i++];
                if (_headerLength is not (2 or 4 or 10))
                {
                    continue;
                }

                int len7 = _header[1] & 0x7F;
                int need = len7 == 126 ? 4 : len7 == 127 ? 10 : 2;
                if (_headerLength < need)
                {
                    continue;
                }

                _remaining = need == 2 ? len7 : need == 4
                    ? BinaryPrimitives.ReadUInt16BigEndian(_header.AsSpan(2))
                    : (long)BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(2));
                _opcode = _header[0] & 0x0F;
                _headerLength = 0;
                _prefixLength = 0;
                _inPayload = true;
                if (_remaining == 0)
                {
                    _inPayload = false;
                    OnFrame();
                }

                continue;
            }

            int take = (int)Math.Min(_remaining, data.Length - i);
            int copy = Math.Min(take, PrefixLength - _prefixLength);
            if (copy > 0)
            {
                data.Slice(i, copy).CopyTo(_prefix.AsSpan(_prefixLength));
                _prefixLength += copy;
            }

            i += take;
            _remaining -= take;
            if (_remaining == 0)
            {
                _inPayload = false;
                OnFrame();
            }
        }
    }

    private void OnFrame()
    {
        if (_opcode == 8)
        {
            Closed = true;
            return;
        }

        var p = _prefix.AsSpan(0, _prefixLength);
        if (_opcode != 1 || p.Length == 0)
        {
            return;
        }

        switch (p[0])
        {
            case (byte)'0' when !_viaUpgrade:
                Send(_connect); // Engine.IO open: connect the main namespace
                break;
            case (byte)'2':
                Send(_pong);
                break;
            case (byte)'3' when p.StartsWith("3probe"u8):
                Send(_upgrade);
                _ready.TrySetResult();
                break;
            case (byte)'4' when p.Length > 1:
                OnSocketIOPacket(p);
                break;
        }
    }

    private void OnSocketIOPacket(ReadOnlySpan<byte> p)
    {
        switch (p[1])
        {
            case (byte)'2':
                Sink.OnEvent(this);
                break;
            case (byte)'3':
                long id = 0;
                for (int i = 2; i < p.Length && (uint)(p[i] - '0') <= 9; i++)
                {
                    id = (id * 10) + (p[i] - '0');
                }

                Sink.OnAck(this, id, p);
                break;
            case (byte)'0':
                _ready.TrySetResult();
                break;
            case (byte)'4':
                _ready.TrySetException(new IOException("connect_error: " + Encoding.UTF8.GetString(p)));
                break;
        }
    }
}
