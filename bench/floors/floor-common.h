/*
 * What the floors in this directory share: the listener and the accept loop with FastIo's epoll engine's system calls
 * (src/Transports/Hosting/Epoll), the random numbers and the sid alphabet, and the output helpers. Header-only, static
 * functions: each floor is still built from one command (gcc -O2 -Wall -Wextra -o X X.c).
 */
#ifndef FLOOR_COMMON_H
#define FLOOR_COMMON_H

#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static unsigned long long floor_rng;

/* base64url: the alphabet of FastIo's sids */
static const char floor_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static unsigned long long next_random(void)
{
    /* xorshift64*: sids need to be unguessable only as much as a benchmark needs; seeded from getrandom. */
    floor_rng ^= floor_rng >> 12;
    floor_rng ^= floor_rng << 25;
    floor_rng ^= floor_rng >> 27;
    return floor_rng * 2685821657736338717ULL;
}

/* n random characters of the sid alphabet */
static void random_chars(char *out, int n)
{
    for (int i = 0; i < n; i++)
        out[i] = floor_b64[next_random() & 63];
}

static char *put(char *at, const char *text, size_t length)
{
    memcpy(at, text, length);
    return at + length;
}

#define PUT(at, literal) put((at), (literal), sizeof(literal) - 1)

/* The value of query parameter `name` in [query, end), or NULL. */
static const char *query_value(const char *query, const char *end, const char *name, int *length)
{
    size_t name_length = strlen(name);
    const char *at = query;
    while (at < end) {
        const char *amp = memchr(at, '&', (size_t)(end - at));
        const char *item_end = amp != NULL ? amp : end;
        if ((size_t)(item_end - at) > name_length && memcmp(at, name, name_length) == 0 && at[name_length] == '=') {
            *length = (int)(item_end - at - (int)name_length - 1);
            return at + name_length + 1;
        }
        at = item_end + 1;
    }
    return NULL;
}

/* Whether [query, end) asks for Engine.IO v4 over `transport` (EIO=4&transport=...), the only requests the floors
 * answer. */
static int is_eio4(const char *query, const char *end, const char *transport)
{
    int length;
    const char *eio = query_value(query, end, "EIO", &length);
    if (eio == NULL || length != 1 || eio[0] != '4')
        return 0;
    const char *value = query_value(query, end, "transport", &length);
    return value != NULL && (size_t)length == strlen(transport) && memcmp(value, transport, (size_t)length) == 0;
}

/* The part of a connection the common code handles: each floor's struct conn begins with it (member base). */
struct floor_conn {
    int fd;
    int closed;
    struct floor_conn *next_dead; /* freed after the current batch of events (another event may still name it) */
};

static struct floor_conn *floor_dead;

/* Closes the descriptor, the last reference: the kernel drops the epoll registration (no EPOLL_CTL_DEL, as FastIo).
 * The memory is freed at the end of the batch of events (floor_serve). */
static void floor_close(struct floor_conn *c)
{
    c->closed = 1;
    close(c->fd);
    c->next_dead = floor_dead;
    floor_dead = c;
}

/* The listener's tag in its epoll registration (data.ptr): connections are told apart from it by address. */
static char floor_listener_tag;

/* Seeds the random numbers, ignores SIGPIPE, keeps freed memory, listens on 127.0.0.1:port with TCP_NODELAY (inherited by the accepted
 * sockets: no setsockopt per connection, as FastIo) and TCP_DEFER_ACCEPT, registers the listener edge-triggered with a new epoll instance
 * and prints "NAME 127.0.0.1:PORT ready". Exits on failure. */
static int floor_listen(const char *name, int port, int *epfd)
{
    if (getrandom(&floor_rng, sizeof floor_rng, 0) != sizeof floor_rng || floor_rng == 0)
        floor_rng = (unsigned long long)time(NULL) | 1;
    signal(SIGPIPE, SIG_IGN);
    /* Freed connections stay in the heap for the next ones: without this, glibc gives the top of the heap back after a
     * round of closes and the next round's connections fault their pages in again (several µs per connect in S2's
     * rounds of 2 000), a cost a pooling server (FastIo) does not pay. */
    mallopt(M_TRIM_THRESHOLD, 1 << 30);

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(listener, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    /* As FastIo's listeners (FastIoHostOptions.DeferAccept, 1 s): the kernel hands a connection over once its first
     * bytes are there, so a connect wakes the server once for its accept and its request, not twice. */
    int defer_seconds = 1;
    setsockopt(listener, IPPROTO_TCP, TCP_DEFER_ACCEPT, &defer_seconds, sizeof defer_seconds);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (listener < 0 || bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 4096) != 0) {
        perror("listen");
        exit(1);
    }
    *epfd = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.ptr = &floor_listener_tag};
    if (*epfd < 0 || epoll_ctl(*epfd, EPOLL_CTL_ADD, listener, &ev) != 0) {
        perror("epoll");
        exit(1);
    }
    printf("%s 127.0.0.1:%d ready\n", name, port);
    fflush(stdout);
    return listener;
}

/* Accepts until EAGAIN (the listener is edge-triggered): accept4 with SOCK_NONBLOCK, then one EPOLL_CTL_ADD,
 * edge-triggered, for reading and the peer's FIN, whose data is a new zeroed connection of conn_size bytes (a floor's
 * struct conn, which begins with its struct floor_conn). No memory: the descriptor is closed. */
static void floor_accept_all(int epfd, int listener, size_t conn_size)
{
    while (1) {
        int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN (drained; edge-triggered) or a transient failure (EMFILE...): wait for the next edge */
        struct floor_conn *c = calloc(1, conn_size);
        if (c == NULL) {
            close(fd);
            continue;
        }
        c->fd = fd;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.ptr = c};
        if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
            close(fd);
            free(c);
        }
    }
}

/* Readiness of connection c (receive buffer in[0, size) holding *len unparsed bytes): receive until
 * drained, a receive shorter than the room meaning drained (as in FastIo's engine: one recv per message), calling
 * process(c) after each; close_conn(c) at the peer's end or an error. A FIN seen by epoll (EPOLLRDHUP) raises no
 * later edge, so then receive until recv reports it. Stops when the connection is closed. Returns 1 when it stopped on a full
 * buffer (the floor stalled the connection; the kernel keeps the rest, and raises no new edge for bytes it already
 * has), else 0. */
static int floor_receive(struct floor_conn *c, char *in, int *len, int size, unsigned events,
                         void (*process)(struct floor_conn *), void (*close_conn)(struct floor_conn *))
{
    int peer_closing = (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0;
    while (!c->closed) {
        int room = size - *len;
        if (room == 0)
            return 1;
        ssize_t n = recv(c->fd, in + *len, (size_t)room, 0);
        if (n > 0) {
            *len += (int)n;
            process(c);
            if (n < room && !peer_closing)
                return 0;
        } else if (n == 0) {
            close_conn(c);
        } else if (errno == EAGAIN) {
            return 0;
        } else if (errno != EINTR) {
            close_conn(c);
        }
    }
    return 0;
}

/* The event loop: one thread, epoll_wait for up to 256 events; the listener's accepts all its pending connections
 * (floor_accept_all), a connection's event goes to on_event(its connection, its events) unless it is closed; the
 * connections closed during a batch are freed after it (a later event of the batch may still name them). */
static void floor_serve(int epfd, int listener, size_t conn_size, void (*on_event)(struct floor_conn *c, unsigned events))
{
    struct epoll_event events[256];
    while (1) {
        int count = epoll_wait(epfd, events, 256, -1);
        for (int i = 0; i < count; i++) {
            if (events[i].data.ptr == &floor_listener_tag)
                floor_accept_all(epfd, listener, conn_size);
            else
            {
                struct floor_conn *c = events[i].data.ptr;
                if (!c->closed)
                    on_event(c, events[i].events);
            }
        }
        while (floor_dead != NULL) {
            struct floor_conn *next = floor_dead->next_dead;
            free(floor_dead);
            floor_dead = next;
        }
    }
}

#endif
