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
