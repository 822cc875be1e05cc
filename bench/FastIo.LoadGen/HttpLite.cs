using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FastIo.LoadGen;

/// <summary>
/// A minimal HTTP/1.1 keep-alive client for the long-polling scenarios: one request at a time, bodies framed by
/// Content-Length or chunked. Not a general client: just enough for Engine.IO's polling transport.
/// </summary>
internal sealed class HttpLite : IDisposable
{
    private static readonly byte[] s_headerEnd = "\r\n\r\n"u8.ToArray();
    private readonly Socket _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private HttpLite(Socket socket) => _socket = socket;

    public static async Task<HttpLite> ConnectAsync(IPAddress local, IPEndPoint server, CancellationToken cancellationToken)
    {
        Loopback.Require(server.Address);
        var socket = Loopback.NewSocket(local);
        try
        {
            await socket.ConnectAsync(server, cancellationToken).ConfigureAwait(false);
            return new HttpLite(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Sends one request and returns the status and the body.</summary>
    public async Task<(int Status, byte[] Body)> SendAsync(string method, string target, string? body, CancellationToken cancellationToken)
    {
        var bodyBytes = body is null ? [] : Encoding.UTF8.GetBytes(body);
        var head = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
            (body is null ? string.Empty : "Content-Type: text/plain;charset=UTF-8\r\nContent-Length: " + bodyBytes.Length.ToString(CultureInfo.InvariantCulture) + "\r\n") +
            "\r\n";
        var request = new byte[Encoding.ASCII.GetByteCount(head) + bodyBytes.Length];
        int written = Encoding.ASCII.GetBytes(head, request);
        bodyBytes.CopyTo(request, written);
        await _socket.SendAsync(request, SocketFlags.None, cancellationToken).ConfigureAwait(false);
        return await ReadResponseAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>The value between <c>"sid":"</c> and the next quote in an Engine.IO open packet.</summary>
    public static string ParseSid(byte[] openPacket)
    {
        var text = Encoding.UTF8.GetString(openPacket);
        int at = text.IndexOf("\"sid\":\"", StringComparison.Ordinal);
        if (at < 0)
        {
            throw new IOException("no sid in handshake: " + text);
        }

        at += 7;
        return text[at..text.IndexOf('"', at)];
    }

    private async Task<(int, byte[])> ReadResponseAsync(CancellationToken cancellationToken)
    {
        int headEnd;
        while ((headEnd = _buffer.AsSpan(_start, _end - _start).IndexOf(s_headerEnd)) < 0)
        {
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }

        var head = Encoding.ASCII.GetString(_buffer, _start, headEnd);
        _start += headEnd + 4;
        int status = int.Parse(head.AsSpan(9, 3), CultureInfo.InvariantCulture);
        long length = -1;
        bool chunked = false;
        foreach (var line in head.Split("\r\n"))
        {
            if (line.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase))
            {
                length = long.Parse(line.AsSpan(15).Trim(), CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("transfer-encoding:", StringComparison.OrdinalIgnoreCase) && line.Contains("chunked", StringComparison.OrdinalIgnoreCase))
            {
                chunked = true;
            }
        }

        if (chunked)
        {
            return (status, await ReadChunkedAsync(cancellationToken).ConfigureAwait(false));
        }

        return (status, await ReadExactAsync((int)Math.Max(0, length), cancellationToken).ConfigureAwait(false));
    }

    private async Task<byte[]> ReadChunkedAsync(CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        while (true)
        {
            int lineEnd;
            while ((lineEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n"u8)) < 0)
            {
                await FillAsync(cancellationToken).ConfigureAwait(false);
            }

            var sizeText = Encoding.ASCII.GetString(_buffer, _start, lineEnd).Split(';')[0];
            _start += lineEnd + 2;
            int size = int.Parse(sizeText, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            var chunk = await ReadExactAsync(size + 2, cancellationToken).ConfigureAwait(false);
            if (size == 0)
            {
                return body.ToArray();
            }

            body.Write(chunk, 0, size);
        }
    }

    private async Task<byte[]> ReadExactAsync(int count, CancellationToken cancellationToken)
    {
        while (_end - _start < count)
        {
            await FillAsync(cancellationToken).ConfigureAwait(false);
        }

        var result = _buffer.AsSpan(_start, count).ToArray();
        _start += count;
        return result;
    }

    private async Task FillAsync(CancellationToken cancellationToken)
    {
        if (_start > 0)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        if (_end == _buffer.Length)
        {
            Array.Resize(ref _buffer, _buffer.Length * 2);
        }

        int n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cancellationToken).ConfigureAwait(false);
        if (n == 0)
        {
            throw new IOException("server closed the connection");
        }

        _end += n;
    }
}
