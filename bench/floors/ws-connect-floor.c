/*
 * ws-connect-floor: the cheapest server that answers S2's WebSocket client (bench/FastIo.LoadGen/WsClient.cs), to
 * measure how much server CPU per WebSocket connect is left once all the server's own work is as small as it can be:
 * what remains is the kernel's (accept, the registration, the system calls, the loopback TCP work billed to the
 * server's core, the connection's setup). A measuring instrument, not a product: HTTP/1.1 upgrade, WebSocket (RFC
 * 6455) and Engine.IO v4 + Socket.IO v5 just far enough for a connect of the main namespace, and for S3's
 * `echo(data, ack)` (`drive --workload echo`): `42<id>["echo",<data>]` is acknowledged with `43<id>[<data>]`, the
 * answers to all the events of one receive in one send, as FastIo's flush per drain does.
 *
 * Same system calls per connect as FastIo's epoll engine (src/Transports/Hosting/Epoll): one thread, one epoll
 * instance, edge-triggered; accept4 with SOCK_NONBLOCK until EAGAIN, one EPOLL_CTL_ADD per connection; TCP_NODELAY
 * set once on the listener (inherited); one recv per readiness while the receive is shorter than the buffer; the 101
 * and the Engine.IO OPEN packet in one send, the Socket.IO CONNECT's answer in one send; a close without
 * EPOLL_CTL_DEL. So per connect: 1 accept4, 1 epoll_ctl, 2 recvfrom, 2 sendto (then a recvfrom that gets the client's
 * reset, and close).
 *
 * The work is real, not matched by length: the request head is parsed (request line, query, Upgrade, Connection,
 * Sec-WebSocket-Version, Sec-WebSocket-Key), the Sec-WebSocket-Accept is computed (SHA-1 below, base64), client frames
 * are checked (FIN, RSV, mask, length) and unmasked, the sids are random. The bytes on the wire are FastIo's (`fastio
 * bench`): the same 101 head, the same OPEN packet, the same `40{"sid":"..."}` frame. Anything else is answered with
 * a 400 (before the upgrade) or a close frame 1002 (after it), then the connection is closed.
 *
 * Build: gcc -O2 -Wall -Wextra -o ws-connect-floor ws-connect-floor.c
 * Run:   ./ws-connect-floor [port]   (default 3300)
 */
#include "floor-common.h"

#include <stdint.h>
#include <strings.h>

enum {
    BUF = 4096, /* receive buffer per connection (S2 holds 2 000 open): a larger head or frame is refused */
    SID = 20,   /* characters of a sid, as FastIo's */
};

struct conn {
    struct floor_conn base; /* fd, closed: floor-common.h */
    int upgraded;           /* WebSocket frames from here on */
    int connected;          /* the Socket.IO CONNECT was answered */
    int len;                /* bytes in in[] not yet parsed */
    int out_len;            /* echo answers in out[] waiting for the end of this receive's frames */
    unsigned char in[BUF];
    unsigned char out[BUF];
};

static int epfd;

/* SHA-1 (FIPS 180-4), for Sec-WebSocket-Accept only: one message, at most a few blocks. */
static uint32_t rotl(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1_block(uint32_t h[5], const unsigned char *block)
{
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 | (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
    for (int i = 16; i < 80; i++)
        w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
        uint32_t f, k;
        if (i < 20) {
            f = (b & c) | (~b & d);
            k = 0x5A827999;
        } else if (i < 40) {
            f = b ^ c ^ d;
            k = 0x6ED9EBA1;
        } else if (i < 60) {
            f = (b & c) | (b & d) | (c & d);
            k = 0x8F1BBCDC;
        } else {
            f = b ^ c ^ d;
            k = 0xCA62C1D6;
        }
        uint32_t t = rotl(a, 5) + f + e + k + w[i];
        e = d;
        d = c;
        c = rotl(b, 30);
        b = a;
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
}

/* The digest of message[0, length), length < 120 (the padded message fits in two blocks). */
static void sha1(const unsigned char *message, size_t length, unsigned char out[20])
{
    uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0};
    unsigned char padded[128] = {0};
    memcpy(padded, message, length);
    padded[length] = 0x80;
    size_t total = length + 9 <= 64 ? 64 : 128;
    uint64_t bits = (uint64_t)length * 8;
    for (int i = 0; i < 8; i++)
        padded[total - 1 - i] = (unsigned char)(bits >> (8 * i));
    for (size_t at = 0; at < total; at += 64)
        sha1_block(h, padded + at);
    for (int i = 0; i < 20; i++)
        out[i] = (unsigned char)(h[i / 4] >> (24 - 8 * (i % 4)));
}

static const char base64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Standard base64 with padding; returns the end of the output. */
static char *to_base64(char *out, const unsigned char *in, int length)
{
    int i = 0;
    for (; i + 3 <= length; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *out++ = base64[v >> 18];
        *out++ = base64[(v >> 12) & 63];
        *out++ = base64[(v >> 6) & 63];
        *out++ = base64[v & 63];
    }
    if (i < length) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < length ? (uint32_t)in[i + 1] << 8 : 0);
        *out++ = base64[v >> 18];
        *out++ = base64[(v >> 12) & 63];
        *out++ = i + 1 < length ? base64[(v >> 6) & 63] : '=';
        *out++ = '=';
    }
    return out;
}

static void close_conn(struct floor_conn *conn)
{
    struct conn *c = (struct conn *)conn; /* base is its first member */
    if (c->base.closed)
        return;
    floor_close(&c->base);
}

/* One send; one that does not take it all closes the connection (S2's answers are a few hundred bytes, far below a
 * socket buffer: only a peer that stopped reading, or is gone, gets there). */
static void send_all(struct conn *c, const char *data, size_t length)
{
    if (send(c->base.fd, data, length, MSG_NOSIGNAL) != (ssize_t)length)
        close_conn(&c->base);
}

static void bad_request(struct conn *c)
{
    static const char response[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 35\r\nContent-Type: application/json\r\n"
                                   "Connection: close\r\n\r\n{\"code\":3,\"message\":\"Bad request\"}";
    send_all(c, response, sizeof response - 1);
    close_conn(&c->base);
}

/* A close frame with status 1002 (protocol error), then the close. */
static void protocol_error(struct conn *c)
{
    static const char frame[] = {(char)0x88, 2, 0x03, (char)0xEA};
    send_all(c, frame, sizeof frame);
    close_conn(&c->base);
}

/* Is `token` (lower case) one of the comma-separated tokens of value[0, length), case-insensitively? */
static int has_token(const char *value, int length, const char *token)
{
    int token_length = (int)strlen(token);
    for (int at = 0; at < length;) {
        while (at < length && (value[at] == ' ' || value[at] == '\t' || value[at] == ','))
            at++;
        int end = at;
        while (end < length && value[end] != ',')
            end++;
        int last = end;
        while (last > at && (value[last - 1] == ' ' || value[last - 1] == '\t'))
            last--;
        if (last - at == token_length && strncasecmp(value + at, token, (size_t)token_length) == 0)
            return 1;
        at = end;
    }
    return 0;
}

/* The request head in[0, head_length): a WebSocket upgrade of Engine.IO v4 without a sid, or -1. Answers the 101 and
 * the OPEN packet in one send. */
static int on_upgrade(struct conn *c, const char *head, int head_length)
{
    const char *head_end = head + head_length - 2; /* at the blank line's CRLF */
    const char *line_end = memmem(head, (size_t)head_length, "\r\n", 2);
    static const char prefix[] = "GET /socket.io/?";
    if (line_end - head < (long)sizeof(prefix) - 1 + 9 || memcmp(head, prefix, sizeof(prefix) - 1) != 0 ||
        memcmp(line_end - 9, " HTTP/1.1", 9) != 0)
        return -1;
    const char *query = head + sizeof(prefix) - 1, *query_end = line_end - 9;
    if (memchr(query, ' ', (size_t)(query_end - query)) != NULL)
        return -1;
    if (!is_eio4(query, query_end, "websocket"))
        return -1;
    int length;
    if (query_value(query, query_end, "sid", &length) != NULL)
        return -1; /* an upgrade of a polling session: the floor has none */

    int upgrade = 0, connection = 0, version = 0;
    const char *key = NULL;
    for (const char *line = line_end + 2; line < head_end;) {
        const char *next = memmem(line, (size_t)(head_end + 2 - line), "\r\n", 2);
        const char *colon = memchr(line, ':', (size_t)(next - line));
        if (colon == NULL)
            return -1;
        const char *value = colon + 1, *value_end = next;
        while (value < value_end && (*value == ' ' || *value == '\t'))
            value++;
        while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t'))
            value_end--;
        int name_length = (int)(colon - line), value_length = (int)(value_end - value);
#define NAME_IS(literal) (name_length == (int)sizeof(literal) - 1 && strncasecmp(line, literal, sizeof(literal) - 1) == 0)
        if (NAME_IS("upgrade"))
            upgrade = value_length == 9 && strncasecmp(value, "websocket", 9) == 0;
        else if (NAME_IS("connection"))
            connection = has_token(value, value_length, "upgrade");
        else if (NAME_IS("sec-websocket-version"))
            version = value_length == 2 && memcmp(value, "13", 2) == 0;
        else if (NAME_IS("sec-websocket-key"))
            key = value_length == 24 && value[22] == '=' && value[23] == '=' ? value : NULL;
#undef NAME_IS
        line = next + 2;
    }
    if (!upgrade || !connection || !version || key == NULL)
        return -1;
    for (int i = 0; i < 22; i++)
        if (strchr(base64, key[i]) == NULL || key[i] == 0)
            return -1; /* not 16 bytes in base64 */

    static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    unsigned char keyed[24 + sizeof guid - 1], digest[20];
    memcpy(keyed, key, 24);
    memcpy(keyed + 24, guid, sizeof guid - 1);
    sha1(keyed, sizeof keyed, digest);

    char out[512];
    char *at = PUT(out, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Accept: ");
    at = to_base64(at, digest, 20);
    at = PUT(at, "\r\n\r\n");
    /* The Engine.IO OPEN packet in one text frame (unmasked, server to client), as FastIo's: no upgrades offered. */
    char *frame = at;
    at += 2;
    at = PUT(at, "0{\"sid\":\"");
    random_chars(at, SID);
    at += SID;
    at = PUT(at, "\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}");
    frame[0] = (char)0x81;
    frame[1] = (char)(at - frame - 2); /* 107 bytes: below 126, a one-byte length */
    send_all(c, out, (size_t)(at - out));
    c->upgraded = 1;
    return 0;
}

/* An event `42<id>["echo",<data>]` of a connected socket: its ack `43<id>[<data>]` appended to out[] as one text
 * frame. Returns -1 for any other event or when out[] is full. */
static int on_echo(struct conn *c, const unsigned char *p, int n)
{
    static const char name[] = "[\"echo\",";
    int digits = 0;
    while (2 + digits < n && p[2 + digits] >= '0' && p[2 + digits] <= '9')
        digits++;
    int args = 2 + digits + (int)sizeof name - 1; /* where <data> starts */
    if (digits == 0 || digits > 9 || args >= n || p[n - 1] != ']' || memcmp(p + 2 + digits, name, sizeof name - 1) != 0)
        return -1;
    int payload = 2 + digits + 1 + (n - args); /* "43" <id> "[" <data> "]" */
    if (payload > 125 || c->out_len + 2 + payload > BUF)
        return -1; /* S3's answers fit a 7-bit length */
    unsigned char *at = c->out + c->out_len;
    at[0] = 0x81;
    at[1] = (unsigned char)payload;
    at[2] = '4';
    at[3] = '3';
    memcpy(at + 4, p + 2, (size_t)digits);
    at[4 + digits] = '[';
    memcpy(at + 5 + digits, p + args, (size_t)(n - args)); /* <data> and the closing bracket */
    c->out_len += 2 + payload;
    return 0;
}

/* One text frame's payload, an Engine.IO packet: the Socket.IO CONNECT of the main namespace, S3's echo, or a
 * ping/pong. */
static int on_packet(struct conn *c, const unsigned char *p, int n)
{
    if (c->connected && n > 2 && p[0] == '4' && p[1] == '2')
        return on_echo(c, p, n);
    if (n == 1 && p[0] == '3')
        return 0; /* pong: the floor sends no pings within a run */
    if (n == 1 && p[0] == '2') {
        static const char pong[] = {(char)0x81, 1, '3'};
        send_all(c, pong, sizeof pong);
        return 0;
    }
    if (n >= 2 && p[0] == '4' && p[1] == '0' && (n == 2 || p[2] == '{') && !c->connected) {
        /* CONNECT to "/" (with or without auth data): the answer carries the socket's own sid. */
        char answer[64];
        char *at = answer + 2;
        at = PUT(at, "40{\"sid\":\"");
        random_chars(at, SID);
        at += SID;
        at = PUT(at, "\"}");
        answer[0] = (char)0x81;
        answer[1] = (char)(at - answer - 2);
        c->connected = 1;
        send_all(c, answer, (size_t)(at - answer));
        return 0;
    }
    return -1;
}

/* Parses every complete frame in in[0, len): client frames are masked, final (the floor takes no fragments), with no
 * RSV bits, and fit the buffer. Returns the bytes consumed, or -1 for a protocol error. */
static int on_frames(struct conn *c)
{
    int at = 0;
    while (!c->base.closed && c->len - at >= 2) {
        unsigned char *f = c->in + at;
        int available = c->len - at;
        int fin = f[0] & 0x80, rsv = f[0] & 0x70, opcode = f[0] & 0x0F, masked = f[1] & 0x80;
        int length = f[1] & 0x7F, header = 2;
        if (!fin || rsv || !masked || length == 127)
            return -1;
        if (length == 126) {
            if (available < 4)
                break;
            length = f[2] << 8 | f[3];
            header = 4;
        }
        if (header + 4 + length > BUF)
            return -1; /* larger than the buffer */
        if (available < header + 4 + length)
            break; /* the rest is still coming */
        unsigned char *mask = f + header, *p = f + header + 4;
        for (int i = 0; i < length; i++)
            p[i] ^= mask[i & 3];
        at += header + 4 + length;
        switch (opcode) {
        case 1:
            if (on_packet(c, p, length) != 0)
                return -1;
            break;
        case 8: { /* close: answered with the peer's status (or none), then closed */
            char frame[4] = {(char)0x88, 0};
            if (length >= 2) {
                frame[1] = 2;
                frame[2] = (char)p[0];
                frame[3] = (char)p[1];
            }
            send_all(c, frame, length >= 2 ? 4 : 2);
            close_conn(&c->base);
            return at;
        }
        case 9: { /* ping: a pong with the same payload (control frames carry at most 125 bytes) */
            if (length > 125)
                return -1;
            char frame[127] = {(char)0x8A, (char)length};
            memcpy(frame + 2, p, (size_t)length);
            send_all(c, frame, (size_t)length + 2);
            break;
        }
        case 10:
            break;
        default:
            return -1; /* binary or continuation: S2's client sends neither */
        }
    }
    return at;
}

/* Parses and answers what in[0, len) holds: the upgrade request, then frames. */
static void process(struct floor_conn *conn)
{
    struct conn *c = (struct conn *)conn;
    int offset = 0;
    if (!c->upgraded) {
        unsigned char *head_end = memmem(c->in, (size_t)c->len, "\r\n\r\n", 4);
        if (head_end == NULL) {
            if (c->len == BUF)
                bad_request(c); /* a head larger than the buffer */
            return;
        }
        offset = (int)(head_end - c->in) + 4;
        if (on_upgrade(c, (const char *)c->in, offset) != 0) {
            bad_request(c);
            return;
        }
    }
    if (c->base.closed)
        return;
    memmove(c->in, c->in + offset, (size_t)(c->len - offset));
    c->len -= offset;
    int used = on_frames(c);
    if (c->out_len > 0 && !c->base.closed)
        send_all(c, (const char *)c->out, (size_t)c->out_len); /* one send for this receive's echoes */
    c->out_len = 0;
    if (used < 0) {
        protocol_error(c);
        return;
    }
    if (!c->base.closed && used > 0) {
        memmove(c->in, c->in + used, (size_t)(c->len - used));
        c->len -= used;
    }
}

static void on_event(struct floor_conn *conn, unsigned events)
{
    struct conn *c = (struct conn *)conn;
    floor_receive(conn, (char *)c->in, &c->len, BUF, events, process, close_conn);
}

int main(int argc, char **argv)
{
    int listener = floor_listen("ws-connect-floor", argc > 1 ? atoi(argv[1]) : 3300, &epfd);
    floor_serve(epfd, listener, sizeof(struct conn), on_event);
}
