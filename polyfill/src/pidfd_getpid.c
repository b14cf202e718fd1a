/* glibc 2.39's pidfd_getpid: the process a pidfd refers to, read as glibc reads it from the
 * "Pid:" line of /proc/self/fdinfo/FD (the kernel has no system call for it). As glibc:
 * a negative FD, an FD whose fdinfo cannot be read, has no "Pid:" line or an invalid one
 * is EBADF; a pid of 0 (the process is in a pid namespace this one cannot see) is
 * EREMOTE; -1 (the process has terminated) is ESRCH. */
#include "common.h"
#if __SIZEOF_LONG__ == 8

#define EBADF 9
#define ESRCH 3
#define EREMOTE 66
#define O_RDONLY 0
#define O_CLOEXEC 02000000

extern int open(const char *, int, ...);
extern ssize_t read(int, void *, size_t);
extern int close(int);

/* One line of fdinfo: 1 and *pid set for a valid "Pid:" line, 0 for another line or an
 * empty value, -1 for an invalid value (glibc's reading of the line). */
static int pid_line(const char *l, const char *end, int *pid) {
    if (end - l < 4 || l[0] != 'P' || l[1] != 'i' || l[2] != 'd' || l[3] != ':')
        return 0;
    l += 4;
    while (l < end && (*l == ' ' || (unsigned)(*l - '\t') < 5))
        l++;
    int neg = 0;
    if (l < end && *l == '-') {
        neg = 1;
        l++;
    } else if (l < end && *l == '+') {
        return -1;
    }
    if (l == end)
        return 0;
    int n = 0;
    for (; l < end; l++) {
        if (*l < '0' || *l > '9')
            return -1;
        if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, *l - '0', &n))
            return -1;
    }
    if (neg && n != 1)
        return -1;
    *pid = neg ? -n : n;
    return 1;
}

EXPORT pid_t PF(pidfd_getpid)(int fd) {
    if (fd < 0) {
        ERRNO = EBADF;
        return -1;
    }
    char name[32] = "/proc/self/fdinfo/";
    char digits[12];
    int nd = 0;
    for (unsigned v = (unsigned)fd; nd == 0 || v; v /= 10)
        digits[nd++] = (char)('0' + v % 10);
    int at = 18;
    while (nd)
        name[at++] = digits[--nd];
    name[at] = 0;
    int saved = ERRNO;
    int f = open(name, O_RDONLY | O_CLOEXEC);
    if (f < 0) {
        ERRNO = EBADF;
        return -1;
    }
    /* fdinfo is a few short lines; lines longer than the buffer are not "Pid:" lines. */
    char buf[4096];
    size_t have = 0;
    int found = 0, bad = 0, pid = -1, eof = 0;
    while (!found && !bad) {
        if (!eof && have < sizeof buf) {
            ssize_t n = read(f, buf + have, sizeof buf - have);
            if (n < 0) {
                bad = 1;
                break;
            }
            if (n == 0)
                eof = 1;
            have += (size_t)n;
        }
        size_t start = 0, i = 0;
        for (; i < have && !found && !bad; i++) {
            if (buf[i] != '\n')
                continue;
            int r = pid_line(buf + start, buf + i, &pid);
            found = r > 0;
            bad = r < 0;
            start = i + 1;
        }
        if (found || bad)
            break;
        if (eof) {
            if (start < have) {
                int r = pid_line(buf + start, buf + have, &pid);
                found = r > 0;
                bad = r < 0;
            }
            break;
        }
        if (start == 0 && have == sizeof buf)
            start = have; /* an overlong line: skip what was read of it */
        __builtin_memmove(buf, buf + start, have - start);
        have -= start;
    }
    close(f);
    ERRNO = saved;
    if (bad || !found) {
        ERRNO = EBADF;
        return -1;
    }
    if (pid == 0) {
        ERRNO = EREMOTE;
        return -1;
    }
    if (pid < 0) {
        ERRNO = ESRCH;
        return -1;
    }
    return pid;
}

#endif /* __SIZEOF_LONG__ == 8 */
