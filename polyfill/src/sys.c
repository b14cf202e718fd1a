/* Functions that are thin system-call wrappers in the glibc release that added them. On a
 * kernel without the call they fail with ENOSYS, as glibc's own wrappers do. */
#include "common.h"

EXPORT ssize_t PF(getrandom)(void *buf, size_t len, unsigned int flags) {
    return SYSCALL(SYS_getrandom, buf, len, flags, 0, 0, 0);
}

/* glibc 2.25: at most 256 bytes, EIO if the kernel returns less, EINTR retried. */
EXPORT int PF(getentropy)(void *buf, size_t len) {
    if (len > 256) {
        ERRNO = EIO;
        return -1;
    }
    unsigned char *p = buf, *end = p + len;
    while (p < end) {
        long r = sys6(SYS_getrandom, (long)p, (long)(end - p), 0, 0, 0, 0);
        if (r == -EINTR)
            continue;
        if (r < 0) {
            ERRNO = (int)-r;
            return -1;
        }
        if (r == 0) {
            ERRNO = EIO;
            return -1;
        }
        p += r;
    }
    return 0;
}

EXPORT pid_t PF(gettid)(void) { return (pid_t)sys6(SYS_gettid, 0, 0, 0, 0, 0, 0); }

EXPORT int PF(close_range)(unsigned int first, unsigned int last, int flags) {
    return (int)SYSCALL(SYS_close_range, first, last, flags, 0, 0, 0);
}

EXPORT ssize_t PF(copy_file_range)(int in, off_t *in_off, int out, off_t *out_off, size_t len, unsigned int flags) {
    return SYSCALL(SYS_copy_file_range, in, in_off, out, out_off, len, flags);
}

EXPORT int PF(memfd_create)(const char *name, unsigned int flags) {
    return (int)SYSCALL(SYS_memfd_create, name, flags, 0, 0, 0, 0);
}

EXPORT int PF(statx)(int dirfd, const char *path, int flags, unsigned int mask, void *buf) {
    return (int)SYSCALL(SYS_statx, dirfd, path, flags, mask, buf, 0);
}

EXPORT int PF(pidfd_open)(pid_t pid, unsigned int flags) {
    return (int)SYSCALL(SYS_pidfd_open, pid, flags, 0, 0, 0, 0);
}

EXPORT int PF(pidfd_send_signal)(int fd, int sig, void *info, unsigned int flags) {
    return (int)SYSCALL(SYS_pidfd_send_signal, fd, sig, info, flags, 0, 0);
}

EXPORT int PF(pidfd_getfd)(int fd, int target, unsigned int flags) {
    return (int)SYSCALL(SYS_pidfd_getfd, fd, target, flags, 0, 0, 0);
}

#if defined(__x86_64__)
#define SYS_renameat2 316
#define SYS_getdents64 217
#define SYS_preadv2 327
#define SYS_pwritev2 328
#elif defined(__aarch64__)
#define SYS_renameat2 276
#define SYS_getdents64 61
#define SYS_preadv2 286
#define SYS_pwritev2 287
#else
#define SYS_renameat2 __NR_renameat2
#define SYS_getdents64 __NR_getdents64
#define SYS_preadv2 __NR_preadv2
#define SYS_pwritev2 __NR_pwritev2
#endif

/* glibc 2.28. */
EXPORT int PF(renameat2)(int olddir, const char *old, int newdir, const char *new_, unsigned int flags) {
    return (int)SYSCALL(SYS_renameat2, olddir, old, newdir, new_, flags, 0);
}

/* glibc 2.30. */
EXPORT ssize_t PF(getdents64)(int fd, void *buf, size_t len) {
    return SYSCALL(SYS_getdents64, fd, buf, len, 0, 0, 0);
}

/* glibc 2.26: the kernel takes the offset as low and high halves; on 64-bit targets the
 * high half is 0, as glibc passes it. Like glibc, a kernel without preadv2/pwritev2 is
 * answered with preadv/pwritev (readv/writev for offset -1) when flags are 0, and with
 * EOPNOTSUPP otherwise. */
#if defined(__x86_64__)
#define SYS_readv 19
#define SYS_writev 20
#define SYS_preadv 295
#define SYS_pwritev 296
#elif defined(__aarch64__)
#define SYS_readv 65
#define SYS_writev 66
#define SYS_preadv 69
#define SYS_pwritev 70
#else
#define SYS_readv __NR_readv
#define SYS_writev __NR_writev
#define SYS_preadv __NR_preadv
#define SYS_pwritev __NR_pwritev
#endif
#define EOPNOTSUPP 95
#if __SIZEOF_LONG__ == 8
static ssize_t rw2(long nr2, long nr1, long nrv, int fd, const void *iov, int n, off_t off, int flags) {
    long r = sys6(nr2, fd, (long)iov, n, off, 0, flags);
    if (r != -ENOSYS)
        return sysret(r);
    if (flags != 0) {
        ERRNO = EOPNOTSUPP;
        return -1;
    }
    if (off == -1)
        return SYSCALL(nrv, fd, iov, n, 0, 0, 0);
    return SYSCALL(nr1, fd, iov, n, off, 0, 0);
}
#else
/* 32-bit: the offset is 64-bit in preadv64v2/pwritev64v2 and off_t (32-bit) in
 * preadv2/pwritev2; glibc passes its halves low first (LO_HI_LONG, the sign-extended
 * 32-bit one for the latter), and so does this. */
static ssize_t rw2(long nr2, long nr1, long nrv, int fd, const void *iov, int n, long long off, int flags) {
    long lo = (long)off, hi = (long)((unsigned long long)off >> 32);
    long r = sys6(nr2, fd, (long)iov, n, lo, hi, flags);
    if (r != -ENOSYS)
        return sysret(r);
    if (flags != 0) {
        ERRNO = EOPNOTSUPP;
        return -1;
    }
    if (off == -1)
        return SYSCALL(nrv, fd, iov, n, 0, 0, 0);
    return SYSCALL(nr1, fd, iov, n, lo, hi, 0);
}
#endif
EXPORT ssize_t PF(preadv64v2)(int fd, const void *iov, int n, long long off, int flags) {
    return rw2(SYS_preadv2, SYS_preadv, SYS_readv, fd, iov, n, off, flags);
}
EXPORT ssize_t PF(pwritev64v2)(int fd, const void *iov, int n, long long off, int flags) {
    return rw2(SYS_pwritev2, SYS_pwritev, SYS_writev, fd, iov, n, off, flags);
}
EXPORT ssize_t PF(preadv2)(int fd, const void *iov, int n, off_t off, int flags) {
    return rw2(SYS_preadv2, SYS_preadv, SYS_readv, fd, iov, n, off, flags);
}
EXPORT ssize_t PF(pwritev2)(int fd, const void *iov, int n, off_t off, int flags) {
    return rw2(SYS_pwritev2, SYS_pwritev, SYS_writev, fd, iov, n, off, flags);
}

#if __SIZEOF_LONG__ == 4
/* 32-bit targets: glibc 2.34's clock functions for _TIME_BITS=64 programs, whose timespec
 * and timeval have 64-bit seconds. glibc asks the *_time64 system calls (through the vDSO
 * where there is one: the same answer) and, on a kernel without them (before 5.1), the
 * time32 ones, widening the answer; so do these. __nanosleep64 is not a cancellation point
 * here (glibc's is). */
struct ts64_ {
    long long tv_sec;
    int tv_nsec;
    int pad;
};
struct ts32_ {
    long tv_sec, tv_nsec;
};
static int clock_gettime_t64(int clock, struct ts64_ *ts) {
    long r = sys6(__NR_clock_gettime64, clock, (long)ts, 0, 0, 0, 0);
    if (r == 0) {
        ts->pad = 0;
        return 0;
    }
    if (r != -ENOSYS)
        return (int)sysret(r);
    struct ts32_ t;
    r = sys6(__NR_clock_gettime, clock, (long)&t, 0, 0, 0, 0);
    if (r != 0)
        return (int)sysret(r);
    ts->tv_sec = t.tv_sec;
    ts->tv_nsec = (int)t.tv_nsec;
    ts->pad = 0;
    return 0;
}
EXPORT int PF(__clock_gettime64)(int clock, struct ts64_ *ts) { return clock_gettime_t64(clock, ts); }
/* glibc: time (NULL) is clock_gettime (CLOCK_REALTIME)'s seconds. */
EXPORT long long PF(__time64)(long long *t) {
    struct ts64_ ts;
    clock_gettime_t64(0 /* CLOCK_REALTIME */, &ts);
    if (t)
        *t = ts.tv_sec;
    return ts.tv_sec;
}
/* glibc 2.31 and later: a non-null timezone is zeroed (the kernel's is not kept). */
struct tv64_ {
    long long tv_sec, tv_usec;
};
EXPORT int PF(__gettimeofday64)(struct tv64_ *tv, void *tz) {
    if (tz) {
        int *z = tz;
        z[0] = z[1] = 0;
    }
    if (!tv)
        return 0;
    struct ts64_ ts;
    clock_gettime_t64(0 /* CLOCK_REALTIME */, &ts);
    tv->tv_sec = ts.tv_sec;
    tv->tv_usec = ts.tv_nsec / 1000;
    return 0;
}
/* glibc: clock_nanosleep (CLOCK_REALTIME, 0, ...), its error number in errno. */
EXPORT int PF(__nanosleep64)(const struct ts64_ *req, struct ts64_ *rem) {
    long r = sys6(__NR_clock_nanosleep_time64, 0 /* CLOCK_REALTIME */, 0, (long)req, (long)rem, 0, 0);
    if (r == -ENOSYS) {
        struct ts32_ q, m;
        if (req->tv_sec != (long)req->tv_sec) {
            ERRNO = 75; /* EOVERFLOW */
            return -1;
        }
        q.tv_sec = (long)req->tv_sec;
        q.tv_nsec = req->tv_nsec;
        r = sys6(__NR_clock_nanosleep, 0, 0, (long)&q, rem ? (long)&m : 0, 0, 0);
        if (r == -EINTR && rem) {
            rem->tv_sec = m.tv_sec;
            rem->tv_nsec = (int)m.tv_nsec;
            rem->pad = 0;
        }
    }
    return (int)sysret(r);
}
#endif
