/* The last small functions glibc added after 2.17: C23's memset_explicit and memalignment
 * (2.43), the fortified inet_ntop/inet_pton (2.42), C23's char8_t conversions c8rtomb and
 * mbrtoc8 (2.36), and the mseal and openat2 system-call wrappers (2.43). */
#include "common.h"
/* Written and tested for x86_64 and aarch64 (tests/polyfill_tail.rs) and s390x
 * (tests/polyfill_s390x.rs); not on 32-bit targets. */
#if __SIZEOF_LONG__ == 8

extern void __chk_fail(void) __attribute__((noreturn));

/* glibc 2.43 (C23): memset that the compiler may not remove. Volatile stores cannot be
 * elided. */
EXPORT void *PF(memset_explicit)(void *p, int c, size_t n) {
    volatile unsigned char *q = p;
    while (n--)
        *q++ = (unsigned char)c;
    return p;
}

/* glibc 2.43: the _FORTIFY_SOURCE variant, __chk_fail when the buffer is smaller than the
 * length. */
EXPORT void *PF(__memset_explicit_chk)(void *p, int c, size_t n, size_t dest) {
    if (dest < n)
        __chk_fail();
    return PF(memset_explicit)(p, c, n);
}

/* glibc 2.43 (C23): the alignment of an address, the largest power of two dividing it;
 * 0 for a null pointer. */
EXPORT size_t PF(memalignment)(const void *p) {
    uintptr_t a = (uintptr_t)p;
    return a & -a;
}

/* glibc 2.42: _FORTIFY_SOURCE's inet_ntop and inet_pton, checks as glibc's
 * debug/inet_{ntop,pton}_chk.c: the size given must fit the buffer, and the buffer must
 * hold the address family's binary address. */
typedef unsigned int socklen_t;
extern const char *inet_ntop(int, const void *, char *, socklen_t);
extern int inet_pton(int, const char *, void *);
#define AF_INET 2
#define AF_INET6 10

EXPORT const char *PF(__inet_ntop_chk)(int af, const void *src, char *dst, socklen_t size,
                                      size_t dst_size) {
    if (size > dst_size)
        __chk_fail();
    return inet_ntop(af, src, dst, size);
}

EXPORT int PF(__inet_pton_chk)(int af, const char *src, void *dst, size_t dst_size) {
    if ((af == AF_INET && dst_size < 4) || (af == AF_INET6 && dst_size < 16))
        __chk_fail();
    return inet_pton(af, src, dst);
}

/* glibc 2.36 (C23): UTF-8 code units to and from the locale's multibyte encoding, over the
 * older mbrtowc and wcrtomb, with glibc's use of the state: the top bit of the count says
 * code units are pending (mbrtoc8: still to return, one per call with -3; c8rtomb: seen
 * so far), the value bytes hold them, byte 3 the index or count. The locale's own
 * converters keep their state in the other count bits, as glibc relies on. */
typedef int wchar_t;
typedef struct {
    int count;
    union {
        unsigned int wch;
        unsigned char wchb[4];
    } value;
} mbstate_t;
typedef unsigned char char8_t;
extern size_t mbrtowc(wchar_t *, const char *, size_t, mbstate_t *);
extern size_t wcrtomb(char *, wchar_t, mbstate_t *);
#define EILSEQ 84
#define PENDING ((int)0x80000000u)

static mbstate_t mbrtoc8_state, c8rtomb_state;

EXPORT size_t PF(mbrtoc8)(char8_t *pc8, const char *s, size_t n, mbstate_t *ps) {
    if (!ps)
        ps = &mbrtoc8_state;
    if (ps->count & PENDING) {
        /* The trailing units are kept last first; byte 3 indexes the next. */
        unsigned char i = ps->value.wchb[3];
        if (pc8)
            *pc8 = ps->value.wchb[i];
        if (i == 0) {
            ps->count &= ~PENDING;
            ps->value.wch = 0;
        } else {
            ps->value.wchb[3] = i - 1;
        }
        return (size_t)-3;
    }
    if (!s) {
        pc8 = 0;
        s = "";
        n = 1;
    }
    wchar_t wc = 0;
    size_t r = mbrtowc(&wc, s, n, ps);
    if (r <= n) {
        unsigned int c = (unsigned int)wc;
        char8_t lead = (char8_t)c;
        int trail = -1;
        if (c > 0x7F && c <= 0x7FF) {
            lead = (char8_t)(0xC0 | (c >> 6));
            trail = 0;
        } else if (c > 0x7FF && c <= 0xFFFF) {
            lead = (char8_t)(0xE0 | (c >> 12));
            trail = 1;
        } else if (c > 0xFFFF && c <= 0x10FFFF) {
            lead = (char8_t)(0xF0 | (c >> 18));
            trail = 2;
        }
        /* glibc writes the lead unit as wc's low byte for a value above 0x10FFFF. */
        if (pc8)
            *pc8 = lead;
        if (trail >= 0) {
            for (int k = 0; k <= trail; k++)
                ps->value.wchb[k] = (unsigned char)(0x80 | ((c >> (6 * k)) & 0x3F));
            ps->value.wchb[3] = (unsigned char)trail;
            ps->count |= PENDING;
        }
    }
    /* A character that converts to several wide characters: mbrtowc returns 0 for the
     * later ones, which consume no input; not a null character. */
    if (r == 0 && wc != 0)
        r = (size_t)-3;
    return r;
}

EXPORT size_t PF(c8rtomb)(char *s, char8_t c8, mbstate_t *ps) {
    if (!ps)
        ps = &c8rtomb_state;
    if (!s)
        c8 = 0;
    unsigned int wc;
    if (!(ps->count & PENDING)) {
        if ((c8 >= 0x80 && c8 <= 0xC1) || c8 >= 0xF5) {
            ERRNO = EILSEQ;
            return (size_t)-1;
        }
        if (c8 >= 0xC2) {
            ps->count |= PENDING;
            ps->value.wchb[0] = c8;
            ps->value.wchb[3] = 1;
            return 0;
        }
        wc = c8;
    } else {
        unsigned char u1 = ps->value.wchb[0], u2 = ps->value.wchb[1], seen = ps->value.wchb[3];
        if (c8 < 0x80 || c8 > 0xBF) {
            ERRNO = EILSEQ;
            return (size_t)-1;
        }
        if (seen == 1) {
            /* The second unit's range excludes overlong forms, surrogates and values
             * above 0x10FFFF. */
            if ((u1 == 0xE0 && c8 < 0xA0) || (u1 == 0xED && c8 > 0x9F) ||
                (u1 == 0xF0 && c8 < 0x90) || (u1 == 0xF4 && c8 > 0x8F)) {
                ERRNO = EILSEQ;
                return (size_t)-1;
            }
            if (u1 >= 0xE0) {
                ps->value.wchb[1] = c8;
                ps->value.wchb[3] = 2;
                return 0;
            }
            wc = ((u1 & 0x1Fu) << 6) | (c8 & 0x3Fu);
        } else if (seen == 2 && u1 >= 0xF0) {
            ps->value.wchb[2] = c8;
            ps->value.wchb[3] = 3;
            return 0;
        } else if (u1 < 0xF0) {
            wc = ((u1 & 0x0Fu) << 12) | ((u2 & 0x3Fu) << 6) | (c8 & 0x3Fu);
        } else {
            wc = ((u1 & 0x07u) << 18) | ((u2 & 0x3Fu) << 12) |
                 ((ps->value.wchb[2] & 0x3Fu) << 6) | (c8 & 0x3Fu);
        }
        ps->count &= ~PENDING;
        ps->value.wch = 0;
    }
    return wcrtomb(s, (wchar_t)wc, ps);
}

/* glibc 2.43: system-call wrappers; ENOSYS from a kernel without them (mseal Linux 6.10,
 * openat2 5.6). glibc's openat2 is also a cancellation point, this one is not (the plan's
 * note says so). Both numbers are the same on every architecture (the unified table since
 * Linux 5.1). */
#define SYS_openat2 437
#define SYS_mseal 462

EXPORT int PF(mseal)(void *addr, size_t len, unsigned long flags) {
    return (int)SYSCALL(SYS_mseal, addr, len, flags, 0, 0, 0);
}

struct open_how;
EXPORT int PF(openat2)(int dirfd, const char *path, struct open_how *how, size_t size) {
    return (int)SYSCALL(SYS_openat2, dirfd, path, how, size, 0, 0);
}

#endif /* __SIZEOF_LONG__ == 8 */
