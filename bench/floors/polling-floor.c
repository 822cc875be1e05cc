/*
 * polling-floor: the cheapest server that answers S6's client (bench/FastIo.LoadGen/PollingScenario.cs), to measure
 * how much server CPU per long-polling ack is left once all the server's own work is as small as it can be: what
 * remains is the kernel's (the system calls and the loopback TCP work billed to the server's core). A measuring
 * instrument, not a product: Engine.IO v4 polling + Socket.IO v5 just far enough for `echo` with an ack.
 *
 * Same system call pattern as FastIo's epoll engine (src/Transports/Hosting/Epoll), so the two compare like for like:
 * one thread, one epoll instance, sockets registered once, edge-triggered; one recv per readiness while the receive is
 * shorter than the buffer (a short receive drained the socket); one send per HTTP response; TCP_NODELAY set once on
 * the listener (accepted sockets inherit it, no setsockopt per connection); accept4 with SOCK_NONBLOCK.
 *
 * The responses are real HTTP/1.1 with the same headers as `fastio bench` (Date, Content-Length, Cache-Control,
 * Content-Type), so the acks and "ok"s on the wire are the same size as FastIo's (the OPEN packet offers no upgrade:
 * 11 bytes shorter, once per session), and the requests are really parsed (request line, Content-Length, query), not
 * matched by length.
 *
 * Build: gcc -O2 -Wall -Wextra -o polling-floor polling-floor.c
 * Run:   ./polling-floor [port [spin-ns]]   (default 3300, 0)
 * spin-ns: user-space work added to every request, a busy loop on the clock (vDSO: no system call). An experiment,
 * not part of the floor: how the kernel's share per ack changes when a server does more per request (a busier server
 * sleeps in epoll_wait less often per ack, and every sleep and wake-up is kernel time billed to it).
 */
#include "floor-common.h"

#include <strings.h>

enum {
    BUF = 16384,          /* receive buffer per connection: a request head that does not fit is refused (400) */
    MAX_SESSIONS = 4096,  /* sessions are never freed (no ping timeout in a run); a full table refuses handshakes */
    QUEUE = 4096,         /* packets waiting for a session's next GET; more is refused (the client is not reading) */
    SID = 20,             /* characters of a sid, as FastIo's */
};

struct conn;

struct session {
    char sid[SID];
    struct conn *parked;  /* the GET waiting for packets, or NULL */
    int queued;           /* bytes in queue: packets joined by the record separator 0x1e */
    char queue[QUEUE];
};

struct conn {
    struct floor_conn base; /* fd, closed: floor-common.h */
    int len;                   /* bytes in in[] not yet parsed */
    struct session *parked_on; /* the session whose packets this connection's GET waits for */
    int processing;            /* inside process(): requests behind an answered GET are parsed by that loop */
    int resuming;              /* in resume_list */
    int stalled;               /* its receive stopped on a full buffer (requests waiting behind a parked GET) */
    char in[BUF];
};

static int epfd;
static struct session sessions[MAX_SESSIONS];
static int session_count;
static char date_line[64]; /* "Date: ...\r\n", rebuilt when the second changes (time() is a vDSO call: no syscall) */
static time_t date_second = -1;
static long spin_ns; /* see the header: 0 for the floor itself */

/* A sid whose first 3 characters are the session's index (64^3 > MAX_SESSIONS): the lookup is one array access
 * and one 20-byte compare, so the floor pays nothing for finding a session. */
static void make_sid(char *out, int index)
{
    out[0] = floor_b64[(index >> 12) & 63];
    out[1] = floor_b64[(index >> 6) & 63];
    out[2] = floor_b64[index & 63];
    random_chars(out + 3, SID - 3);
}

static struct session *find_session(const char *sid, int length)
{
    if (length != SID)
        return NULL;
    int index = 0;
    for (int i = 0; i < 3; i++) {
        const char *at = strchr(floor_b64, sid[i]);
        if (at == NULL || *at == 0)
            return NULL;
        index = (index << 6) | (int)(at - floor_b64);
    }
    if (index >= session_count || memcmp(sessions[index].sid, sid, SID) != 0)
        return NULL;
    return &sessions[index];
}

static void close_conn(struct floor_conn *conn)
{
    struct conn *c = (struct conn *)conn; /* base is its first member */
    if (c->base.closed)
        return;
    if (c->parked_on != NULL)
        c->parked_on->parked = NULL;
    c->parked_on = NULL;
    floor_close(&c->base);
}

static const char *date_header(void)
{
    time_t now = time(NULL);
    if (now != date_second) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(date_line, sizeof date_line, "Date: %a, %d %b %Y %H:%M:%S GMT\r\n", &tm);
        date_second = now;
    }
    return date_line;
}

/* One HTTP/1.1 response in one send. A send that does not take it all closes the connection: S6's responses are a
 * few hundred bytes, far below a socket buffer, so only a peer that stopped reading (or is gone) gets there. */
static void respond(struct conn *c, const char *status, const char *type, const char *body, int length)
{
    char out[BUF + 512];
    char *at = out;
    at = PUT(at, "HTTP/1.1 ");
    at = put(at, status, strlen(status));
    at = PUT(at, "\r\n");
    const char *date = date_header();
    at = put(at, date, strlen(date));
    at += sprintf(at, "Content-Length: %d\r\n", length);
    at = PUT(at, "Cache-Control: no-store\r\nContent-Type: ");
    at = put(at, type, strlen(type));
    at = PUT(at, "\r\n\r\n");
    at = put(at, body, (size_t)length);
    ssize_t sent = send(c->base.fd, out, (size_t)(at - out), MSG_NOSIGNAL);
    if (sent != at - out)
        close_conn(&c->base);
}

static void bad_request(struct conn *c)
{
    static const char body[] = "{\"code\":3,\"message\":\"Bad request\"}";
    respond(c, "400 Bad Request", "application/json", body, (int)sizeof(body) - 1);
    close_conn(&c->base);
}

static const char text_type[] = "text/plain; charset=UTF-8";

/* Connections whose GET was just answered and whose buffer holds more requests: processed after the current
 * event, not from inside another connection's request (no recursion through chains of sessions). */
static struct conn *resume_list[MAX_SESSIONS];
static int resume_count;

/* Answers the session's parked GET with everything queued, if both are there. */
static void flush_session(struct session *s)
{
    struct conn *get = s->parked;
    if (get == NULL || s->queued == 0)
        return;
    s->parked = NULL;
    get->parked_on = NULL;
    respond(get, "200 OK", text_type, s->queue, s->queued);
    s->queued = 0;
    if (!get->base.closed && !get->processing && !get->resuming && (get->len > 0 || get->stalled)) {
        if (resume_count == MAX_SESSIONS) {
            close_conn(&get->base); /* only a client pipelining behind GETs across many sessions gets here */
            return;
        }
        get->resuming = 1;
        resume_list[resume_count++] = get;
    }
}

static int enqueue(struct session *s, const char *packet, int length)
{
    int separator = s->queued > 0;
    if (s->queued + separator + length > QUEUE)
        return -1;
    if (separator)
        s->queue[s->queued++] = 0x1e;
    memcpy(s->queue + s->queued, packet, (size_t)length);
    s->queued += length;
    return 0;
}

/* One Engine.IO packet of a POST body. Returns -1 for anything S6's client would not send. */
static int on_packet(struct session *s, const char *p, int n)
{
    if (n == 1 && (p[0] == '3' || p[0] == '2'))
        return 0; /* pong (or a ping): nothing to answer here, the floor sends no pings within a run */
    if (n >= 2 && p[0] == '4' && p[1] == '0') {
        /* Socket.IO CONNECT to the main namespace: the answer carries the socket's own sid. */
        char answer[64] = "40{\"sid\":\"";
        int at = 10;
        make_sid(answer + at, (int)(next_random() & 4095));
        at += SID;
        memcpy(answer + at, "\"}", 2);
        return enqueue(s, answer, at + 2);
    }
    if (n >= 2 && p[0] == '4' && p[1] == '2') {
        /* EVENT 42<id>["echo",<data>]: the ack 43<id>[<data>] goes to the session's GET. */
        int at = 2;
        while (at < n && p[at] >= '0' && p[at] <= '9')
            at++;
        int id_end = at;
        static const char echo[] = "[\"echo\",";
        if (n - at < (int)sizeof(echo) - 1 || memcmp(p + at, echo, sizeof(echo) - 1) != 0 || p[n - 1] != ']')
            return -1;
        if (id_end == 2)
            return 0; /* no id: no ack wanted */
        char ack[QUEUE];
        int data = at + (int)sizeof(echo) - 1;
        if (4 + (id_end - 2) + (n - data) > QUEUE)
            return -1;
        int length = 0;
        ack[length++] = '4';
        ack[length++] = '3';
        memcpy(ack + length, p + 2, (size_t)(id_end - 2));
        length += id_end - 2;
        ack[length++] = '[';
        memcpy(ack + length, p + data, (size_t)(n - data)); /* the data and the closing bracket */
        length += n - data;
        return enqueue(s, ack, length);
    }
    return -1;
}

/* One complete request: method, target (the query after "/socket.io/?"), body. Returns -1 to refuse and close. */
static void spin(void)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do
        clock_gettime(CLOCK_MONOTONIC, &now);
    while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < spin_ns);
}

static int on_request(struct conn *c, int is_post, const char *query, const char *query_end, const char *body, int body_length)
{
    if (spin_ns > 0)
        spin();
    if (!is_eio4(query, query_end, "polling"))
        return -1;
    int sid_length;
    const char *sid = query_value(query, query_end, "sid", &sid_length);
    if (sid == NULL) {
        /* Handshake: a new session and its OPEN packet (FastIo's, without the upgrade the floor does not offer). */
        if (is_post || session_count == MAX_SESSIONS)
            return -1;
        struct session *s = &sessions[session_count];
        make_sid(s->sid, session_count);
        session_count++;
        char open[192];
        int n = snprintf(open, sizeof open,
                         "0{\"sid\":\"%.*s\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}",
                         SID, s->sid);
        respond(c, "200 OK", text_type, open, n);
        return 0;
    }
    struct session *s = find_session(sid, sid_length);
    if (s == NULL)
        return -1;
    if (!is_post) {
        if (s->parked != NULL)
            return -1; /* overlapping GETs: Engine.IO closes the session; the floor refuses the second */
        s->parked = c;
        c->parked_on = s;
        flush_session(s); /* packets already queued: answer at once; otherwise it stays parked */
        return 0;
    }
    /* POST: the packets are separated by 0x1e; the acks they produce answer the parked GET before the POST's "ok",
     * as in a server whose handler acks during the POST. */
    const char *at = body, *end = body + body_length;
    while (at < end) {
        const char *sep = memchr(at, 0x1e, (size_t)(end - at));
        const char *packet_end = sep != NULL ? sep : end;
        if (on_packet(s, at, (int)(packet_end - at)) != 0)
            return -1;
        at = packet_end + 1;
    }
    flush_session(s);
    respond(c, "200 OK", "text/html", "ok", 2);
    return 0;
}

/* Parses and answers every complete request in c->in, except that requests behind a parked GET wait for its answer
 * (HTTP answers in order). Returns when the buffer holds no complete request, or the connection parks or closes. */
static void process(struct floor_conn *conn)
{
    struct conn *c = (struct conn *)conn;
    int offset = 0;
    c->processing = 1;
    while (!c->base.closed && c->parked_on == NULL && offset < c->len) {
        char *start = c->in + offset;
        int available = c->len - offset;
        char *head_end = memmem(start, (size_t)available, "\r\n\r\n", 4);
        if (head_end == NULL) {
            if (available == BUF)
                bad_request(c); /* a head larger than the buffer */
            break;
        }
        int head_length = (int)(head_end - start) + 4;
        int is_post;
        const char *target;
        if (available > 4 && memcmp(start, "GET ", 4) == 0) {
            is_post = 0;
            target = start + 4;
        } else if (available > 5 && memcmp(start, "POST ", 5) == 0) {
            is_post = 1;
            target = start + 5;
        } else {
            bad_request(c);
            break;
        }
        const char *line_end = memmem(start, (size_t)head_length, "\r\n", 2);
        const char *target_end = memchr(target, ' ', (size_t)(line_end - target));
        static const char prefix[] = "/socket.io/?";
        if (target_end == NULL || target_end - target < (long)sizeof(prefix) - 1 ||
            memcmp(target, prefix, sizeof(prefix) - 1) != 0 || line_end - target_end != 9 ||
            memcmp(target_end, " HTTP/1.1", 9) != 0) {
            bad_request(c);
            break;
        }
        /* Content-Length among the header lines (case-insensitive name); no chunked bodies (S6 sends none). */
        long body_length = 0;
        for (const char *line = line_end + 2; line < head_end; ) {
            const char *next = memmem(line, (size_t)(head_end + 2 - line), "\r\n", 2);
            if (next - line > 15 && strncasecmp(line, "content-length:", 15) == 0) {
                char *number_end;
                body_length = strtol(line + 15, &number_end, 10);
                if (number_end == line + 15 || body_length < 0 || body_length > BUF)
                    body_length = -1;
            } else if (next - line > 18 && strncasecmp(line, "transfer-encoding:", 18) == 0) {
                body_length = -1;
            }
            line = next + 2;
        }
        if (body_length < 0 || head_length + body_length > BUF) {
            bad_request(c);
            break;
        }
        if (available < head_length + body_length)
            break; /* the body is still coming */
        const char *query = target + sizeof(prefix) - 1;
        if (on_request(c, is_post, query, target_end, start + head_length, (int)body_length) != 0) {
            bad_request(c);
            break;
        }
        offset += head_length + (int)body_length;
    }
    if (!c->base.closed && offset > 0) {
        memmove(c->in, c->in + offset, (size_t)(c->len - offset));
        c->len -= offset;
    }
    c->processing = 0;
}

/* Readiness of a connection (floor_receive). Full of requests waiting behind a parked GET, it stops reading: the
 * GET's answer resumes the receive (main loop). */
static void on_readable(struct conn *c, unsigned events)
{
    if (floor_receive(&c->base, c->in, &c->len, BUF, events, process, close_conn))
        c->stalled = 1;
}

static void on_event(struct floor_conn *conn, unsigned events)
{
    on_readable((struct conn *)conn, events);
    /* GETs answered during this event whose connections hold further requests (pipelined behind them). */
    for (int r = 0; r < resume_count; r++) { /* the list may grow while this loop runs */
        struct conn *other = resume_list[r];
        other->resuming = 0;
        if (!other->base.closed) {
            process(&other->base);
            if (!other->base.closed && other->parked_on == NULL && other->stalled) {
                other->stalled = 0;
                on_readable(other, 0); /* a full buffer stopped its receive: read what the kernel kept */
            }
        }
    }
    resume_count = 0;
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 3300;
    spin_ns = argc > 2 ? atol(argv[2]) : 0;
    int listener = floor_listen("polling-floor", port, &epfd);
    floor_serve(epfd, listener, sizeof(struct conn), on_event);
}
