/*
 * LD_PRELOAD shim: libopenr2 1.3.3 on channels that are not DAHDI devices.
 *
 * libopenr2 has no pluggable I/O in its released version: it issues DAHDI
 * ioctls on the descriptor it is given, reads and writes 160-octet A-law
 * blocks on it, and reads gettimeofday() for every timer (docs/r2.md#the-libopenr2-peer).
 * It reaches ioctl, read, write and gettimeofday through its own PLT slots, so a
 * preloaded library answers them. A descriptor registered with shim_register()
 * becomes a simulated DAHDI CAS channel with one frame of buffering each way;
 * every other descriptor goes to libc untouched. The peer process
 * (tests/support/openr2_peer.py) moves frames between these channels and the
 * box's timeslot sockets and sets the virtual clock, one 20 ms frame at a time.
 *
 * Built at test time: gcc -shared -fPIC -o openr2_shim.so openr2_shim.c -ldl
 * Licence: GPL-2.0-or-later (Callbox).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <unistd.h>

/* DAHDI facts (include/dahdi/user.h): ioctl type 0xDA, request numbers, flags. */
#define DAHDI_CODE 0xDA
#define NR_FLUSH 3
#define NR_GET_PARAMS 5
#define NR_GETEVENT 8
#define NR_IOMUX 9
#define NR_GAINS 16
#define NR_BUFINFO 27
#define NR_ECHOCANCEL 33
#define NR_CHANNO 34
#define NR_SETLAW 39
#define NR_RXTXBITS 43
#define IOMUX_READ 1
#define IOMUX_WRITE 2
#define IOMUX_SIGEVENT 8
#define EVENT_BITSCHANGED 13
#define FLUSH_READ 1
#define FLUSH_WRITE 2
#define FLUSH_EVENT 4
#define SIG_CAS (1 << 15)
#define LAW_ALAW 2
#define BLOCK 160
#define MAX_CHANNELS 32
#define MAX_EVENTS 16

struct channel {
    int fd;
    int channo;
    int rxbits;
    int txbits;
    int events[MAX_EVENTS];
    int nevents;
    unsigned char rx[BLOCK];
    int rx_ready;
    unsigned char tx[BLOCK];
    int tx_len;
    int write_room;
    unsigned long unknown_ioctls;
};

static struct channel channels[MAX_CHANNELS];
static int nchannels;
static long long virtual_usec = -1;

static int (*libc_ioctl)(int, unsigned long, ...);
static ssize_t (*libc_read)(int, void *, size_t);
static ssize_t (*libc_write)(int, const void *, size_t);
static int (*libc_gettimeofday)(struct timeval *, void *);

typedef void (*log_callback_t)(void *chan, int level, const char *text);
static log_callback_t log_callback;

static void resolve(void)
{
    if (!libc_ioctl) {
        libc_ioctl = dlsym(RTLD_NEXT, "ioctl");
        libc_read = dlsym(RTLD_NEXT, "read");
        libc_write = dlsym(RTLD_NEXT, "write");
        libc_gettimeofday = dlsym(RTLD_NEXT, "gettimeofday");
    }
}

static struct channel *find(int fd)
{
    for (int i = 0; i < nchannels; i++)
        if (channels[i].fd == fd)
            return &channels[i];
    return NULL;
}

/* ------------------------------------------------------------ control, from the peer */
int shim_register(int fd, int channo, int rxbits)
{
    if (find(fd) || nchannels == MAX_CHANNELS)
        return -1;
    struct channel *c = &channels[nchannels++];
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    c->channo = channo;
    c->rxbits = rxbits & 0xF;
    c->txbits = rxbits & 0xF;
    return 0;
}

void shim_set_time_usec(long long usec)
{
    virtual_usec = usec;
}

/* A frame arrived from the far end: its bits (an event if they changed) and its audio. */
int shim_rx(int fd, int abcd, const unsigned char *audio)
{
    struct channel *c = find(fd);
    if (!c)
        return -1;
    abcd &= 0xF;
    if (abcd != c->rxbits && c->nevents < MAX_EVENTS)
        c->events[c->nevents++] = EVENT_BITSCHANGED;
    c->rxbits = abcd;
    memcpy(c->rx, audio, BLOCK);
    c->rx_ready = 1;
    c->tx_len = 0;
    c->write_room = 1;
    return 0;
}

/* The frame to send back: the transmit bits, and the audio written this frame (0: none). */
int shim_tx(int fd, unsigned char *audio, int *abcd)
{
    struct channel *c = find(fd);
    if (!c)
        return -1;
    *abcd = c->txbits;
    if (c->tx_len)
        memcpy(audio, c->tx, BLOCK);
    return c->tx_len;
}

unsigned long shim_unknown_ioctls(int fd)
{
    struct channel *c = find(fd);
    return c ? c->unknown_ioctls : 0;
}

void shim_set_log_callback(log_callback_t cb)
{
    log_callback = cb;
}

/* openr2_handle_context_logging_func and openr2_logging_func_t: formatted here (va_list). */
void shim_context_log(void *ctx, int level, const char *fmt, va_list ap)
{
    char text[1024];
    (void)ctx;
    vsnprintf(text, sizeof(text), fmt, ap);
    if (log_callback)
        log_callback(NULL, level, text);
}

void shim_chan_log(void *chan, int level, const char *fmt, va_list ap)
{
    char text[1024];
    vsnprintf(text, sizeof(text), fmt, ap);
    if (log_callback)
        log_callback(chan, level, text);
}

/* ------------------------------------------------------------ what libopenr2 calls */
static int dahdi_ioctl(struct channel *c, unsigned long request, void *arg)
{
    int *iarg = arg;
    int dir = _IOC_DIR(request);
    switch (_IOC_NR(request)) {
    case NR_CHANNO:
        *iarg = c->channo;
        return 0;
    case NR_GET_PARAMS:
        memset(arg, 0, _IOC_SIZE(request));
        iarg[0] = c->channo;        /* channo */
        iarg[1] = 1;                /* spanno */
        iarg[2] = c->channo;        /* chanpos */
        iarg[3] = SIG_CAS;          /* sigtype */
        iarg[4] = SIG_CAS;          /* sigcap */
        iarg[6] = c->rxbits;        /* rxbits */
        iarg[7] = c->txbits;        /* txbits */
        iarg[10] = LAW_ALAW;        /* curlaw */
        return 0;
    case NR_BUFINFO:
        if (dir & _IOC_READ) {     /* GET: txbufpolicy, rxbufpolicy, numbufs, bufsize ... */
            memset(arg, 0, _IOC_SIZE(request));
            iarg[2] = 4;
            iarg[3] = BLOCK;
        } else if (iarg[3] != BLOCK) {
            errno = EINVAL;
            return -1;
        }
        return 0;
    case NR_GAINS:
    case NR_SETLAW:
    case NR_ECHOCANCEL:
        return 0;
    case NR_RXTXBITS:
        if (dir & _IOC_READ)
            *iarg = c->rxbits;      /* DAHDI_GETRXBITS */
        else
            c->txbits = *iarg & 0xF; /* DAHDI_SETTXBITS */
        return 0;
    case NR_IOMUX: {
        int want = *iarg, ready = 0;
        if ((want & IOMUX_SIGEVENT) && c->nevents)
            ready |= IOMUX_SIGEVENT;
        if ((want & IOMUX_READ) && c->rx_ready)
            ready |= IOMUX_READ;
        if ((want & IOMUX_WRITE) && c->write_room)
            ready |= IOMUX_WRITE;
        *iarg = ready;
        return 0;
    }
    case NR_GETEVENT:
        if (c->nevents) {
            *iarg = c->events[0];
            memmove(c->events, c->events + 1, (size_t)(--c->nevents) * sizeof(int));
        } else {
            *iarg = 0;
        }
        return 0;
    case NR_FLUSH:
        if (*iarg & FLUSH_READ)
            c->rx_ready = 0;
        if (*iarg & FLUSH_WRITE) {
            c->tx_len = 0;
            c->write_room = 1;
        }
        if (*iarg & FLUSH_EVENT)
            c->nevents = 0;
        return 0;
    default:
        c->unknown_ioctls++;
        fprintf(stderr, "openr2_shim: unknown DAHDI ioctl nr=%u on channel %d\n",
                (unsigned)_IOC_NR(request), c->channo);
        errno = ENOTTY;
        return -1;
    }
}

int ioctl(int fd, unsigned long request, ...)
{
    va_list ap;
    va_start(ap, request);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    resolve();
    struct channel *c = find(fd);
    if (!c)
        return libc_ioctl(fd, request, arg);
    if (_IOC_TYPE(request) != DAHDI_CODE) {
        errno = ENOTTY;
        return -1;
    }
    return dahdi_ioctl(c, request, arg);
}

ssize_t read(int fd, void *buf, size_t count)
{
    resolve();
    struct channel *c = find(fd);
    if (!c)
        return libc_read(fd, buf, count);
    if (!c->rx_ready) {
        errno = EAGAIN;
        return -1;
    }
    size_t n = count < BLOCK ? count : BLOCK;
    memcpy(buf, c->rx, n);
    c->rx_ready = 0;
    return (ssize_t)n;
}

ssize_t write(int fd, const void *buf, size_t count)
{
    resolve();
    struct channel *c = find(fd);
    if (!c)
        return libc_write(fd, buf, count);
    if (!c->write_room) {
        errno = EAGAIN;
        return -1;
    }
    size_t n = count < BLOCK ? count : BLOCK;
    memcpy(c->tx, buf, n);
    if (n < BLOCK)
        memset(c->tx + n, 0xD5, BLOCK - n);
    c->tx_len = BLOCK;
    c->write_room = 0;
    return (ssize_t)count;
}

int gettimeofday(struct timeval *tv, void *tz)
{
    resolve();
    if (virtual_usec < 0)
        return libc_gettimeofday(tv, tz);
    tv->tv_sec = (time_t)(virtual_usec / 1000000);
    tv->tv_usec = (suseconds_t)(virtual_usec % 1000000);
    return 0;
}
