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
