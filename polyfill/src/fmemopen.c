/* fmemopen, glibc 2.22: the POSIX memory stream. The version older releases export
 * (fmemopen@GLIBC_2.2.5) behaves differently (a SEEK_END offset is negated, the stream
 * ends at the first NUL unless the mode has "b", appending starts at the first NUL), so a
 * program built against 2.22 or later cannot be re-pointed to it. This is the 2.22
 * stream on top of fopencookie, which every release has: a cookie holding the buffer, its
 * size, the position and the end of the data, with the same rules for where reads stop,
 * where writes go, when a NUL is written after them, and which seeks are refused. */
#include "common.h"

typedef struct _IO_FILE FILE;
typedef long long off64_t;

typedef struct {
    ssize_t (*read)(void *, char *, size_t);
    ssize_t (*write)(void *, const char *, size_t);
    int (*seek)(void *, off64_t *, int);
    int (*close)(void *);
} cookie_io_functions_t;

extern void *calloc(size_t, size_t);
extern void *malloc(size_t);
extern void free(void *);
extern FILE *fopencookie(void *, const char *, cookie_io_functions_t);

#define ENOSPC 28

struct memstream {
    char *buf;
    int owned;    /* allocated here (buf was NULL): freed on close */
    int append;   /* mode "a": every write goes to the end of the data */
    size_t size;  /* the buffer's length */
    off64_t pos;  /* the position */
    size_t end;   /* the end of the data: reads stop there, SEEK_END counts from there */
};

static void copy(char *dst, const char *src, size_t n) {
    for (size_t i = 0; i < n; i++)
        dst[i] = src[i];
}

static ssize_t ms_read(void *cookie, char *out, size_t n) {
    struct memstream *m = cookie;
    if ((size_t)m->pos + n > m->end)
        n = (size_t)m->pos > m->end ? 0 : m->end - (size_t)m->pos;
    copy(out, m->buf + m->pos, n);
    m->pos += (off64_t)n;
    return (ssize_t)n;
}

static ssize_t ms_write(void *cookie, const char *in, size_t n) {
    struct memstream *m = cookie;
    off64_t at = m->append ? (off64_t)m->end : m->pos;
    /* A NUL follows the data unless the write ends with one itself. */
    int nul = n == 0 || in[n - 1] != '\0';
    if ((size_t)at + n > m->size) {
        /* glibc 2.22 tests the position, not the append point, here. */
        if ((size_t)m->pos + (size_t)nul >= m->size) {
            ERRNO = ENOSPC;
            return 0;
        }
        n = m->size - (size_t)at;
    }
    copy(m->buf + at, in, n);
    m->pos = at + (off64_t)n;
    if ((size_t)m->pos > m->end) {
        m->end = (size_t)m->pos;
        if (m->end < m->size && nul)
            m->buf[m->end] = '\0';
        else if (!m->append && nul)
            m->buf[m->size - 1] = '\0';
    }
    return (ssize_t)n;
}

static int ms_seek(void *cookie, off64_t *offset, int whence) {
    struct memstream *m = cookie;
    off64_t to;
    switch (whence) {
    case 0: /* SEEK_SET */
        to = *offset;
        break;
    case 1: /* SEEK_CUR */
        to = m->pos + *offset;
        break;
    case 2: /* SEEK_END */
        to = (off64_t)m->end + *offset;
        break;
    default:
        return -1;
    }
    if (to < 0 || (size_t)to > m->size) {
        ERRNO = EINVAL;
        return -1;
    }
    *offset = m->pos = to;
    return 0;
}

static int ms_close(void *cookie) {
    struct memstream *m = cookie;
    if (m->owned)
        free(m->buf);
    free(m);
    return 0;
}

EXPORT FILE *PF(fmemopen)(void *buf, size_t len, const char *mode) {
    struct memstream *m = calloc(1, sizeof *m);
    if (!m)
        return 0;
    m->owned = buf == 0;
    if (m->owned) {
        m->buf = malloc(len);
        if (!m->buf) {
            free(m);
            return 0;
        }
        m->buf[0] = '\0';
    } else {
        if (len > -(uintptr_t)buf) {
            free(m);
            ERRNO = EINVAL;
            return 0;
        }
        m->buf = buf;
        if (mode[0] == 'w' && mode[1] == '+')
            m->buf[0] = '\0';
        if (mode[0] == 'a')
            while (m->end < len && m->buf[m->end])
                m->end++;
    }
    m->size = len;
    if (mode[0] == 'r')
        m->end = len;
    m->append = mode[0] == 'a';
    m->pos = m->append ? (off64_t)m->end : 0;
    /* Each address is computed here, PC-relative: a constant table of them would need an
     * absolute relocation, which the polyfill linker does not apply. */
    cookie_io_functions_t io;
    void *p;
    p = (void *)ms_read;
    __asm__("" : "+r"(p));
    io.read = p;
    p = (void *)ms_write;
    __asm__("" : "+r"(p));
    io.write = p;
    p = (void *)ms_seek;
    __asm__("" : "+r"(p));
    io.seek = p;
    p = (void *)ms_close;
    __asm__("" : "+r"(p));
    io.close = p;
    FILE *f = fopencookie(m, mode, io);
    if (!f) {
        if (m->owned)
            free(m->buf);
        free(m);
    }
    return f;
}
