/* More functions that are plain system-call wrappers in the glibc release that added them
 * (sysdeps/unix/sysv/linux/syscalls.list or a one-line INLINE_SYSCALL_CALL): the same
 * system call, -1 and errno on failure, ENOSYS on a kernel without it. glibc's wrappers
 * of the blocking ones (epoll_pwait2) are also cancellation points; these are not. */
#include "common.h"
#if defined(__x86_64__)
#define NR(x86, arm) x86
#else
#define NR(x86, arm) arm
#endif
#define SYS_epoll_pwait2 441
#define SYS_open_tree 428
#define SYS_move_mount 429
#define SYS_fsopen 430
#define SYS_fsconfig 431
#define SYS_fsmount 432
#define SYS_fspick 433
#define SYS_mount_setattr 442
#define SYS_process_madvise 440
#define SYS_process_mrelease 448
#define SYS_pkey_mprotect NR(329, 288)
#define SYS_pkey_alloc NR(330, 289)
#define SYS_pkey_free NR(331, 290)
#define SYS_mprotect NR(10, 226)
#define SYS_mlock NR(149, 228)
#define SYS_mlock2 NR(325, 284)
#define SYS_execveat NR(322, 281)
#define SYS_tgkill NR(234, 131)
#define SYS_getcpu NR(309, 168)
#if !defined(__x86_64__) && !defined(__aarch64__)
/* 32-bit: the kernel's numbers (common.h includes <asm/unistd.h>). */
#undef SYS_pkey_mprotect
#undef SYS_pkey_alloc
#undef SYS_pkey_free
#undef SYS_mprotect
#undef SYS_mlock
#undef SYS_mlock2
#undef SYS_execveat
#undef SYS_tgkill
#undef SYS_getcpu
#define SYS_pkey_mprotect __NR_pkey_mprotect
#define SYS_pkey_alloc __NR_pkey_alloc
#define SYS_pkey_free __NR_pkey_free
#define SYS_mprotect __NR_mprotect
#define SYS_mlock __NR_mlock
#define SYS_mlock2 __NR_mlock2
#define SYS_execveat __NR_execveat
#define SYS_tgkill __NR_tgkill
#define SYS_getcpu __NR_getcpu
#endif

struct epoll_event;
struct timespec;
/* glibc 2.35; the kernel takes the signal set's size, _NSIG / 8. */
#if __SIZEOF_LONG__ == 8
EXPORT int PF(epoll_pwait2)(int epfd, struct epoll_event *ev, int maxevents, const struct timespec *timeout,
                            const void *sigmask) {
    return (int)SYSCALL(SYS_epoll_pwait2, epfd, ev, maxevents, timeout, sigmask, 8);
}
#else
/* 32-bit: this is the 32-bit time_t function (a _TIME_BITS=64 program calls
 * __epoll_pwait2_time64, which has no polyfill); the system call reads a 64-bit
 * __kernel_timespec, so the timeout is widened as glibc's wrapper does. */
struct timespec32 {
    long tv_sec, tv_nsec;
};
EXPORT int PF(epoll_pwait2)(int epfd, struct epoll_event *ev, int maxevents, const struct timespec32 *timeout,
                            const void *sigmask) {
    long long t64[2];
    if (timeout) {
        t64[0] = timeout->tv_sec;
        t64[1] = timeout->tv_nsec;
    }
    return (int)SYSCALL(SYS_epoll_pwait2, epfd, ev, maxevents, timeout ? t64 : 0, sigmask, 8);
}
#endif
/* glibc 2.36: the mount API. */
EXPORT int PF(fsopen)(const char *fs, unsigned int flags) { return (int)SYSCALL(SYS_fsopen, fs, flags, 0, 0, 0, 0); }
EXPORT int PF(fsmount)(int fd, unsigned int flags, unsigned int attr) {
    return (int)SYSCALL(SYS_fsmount, fd, flags, attr, 0, 0, 0);
}
EXPORT int PF(fsconfig)(int fd, unsigned int cmd, const char *key, const void *value, int aux) {
    return (int)SYSCALL(SYS_fsconfig, fd, cmd, key, value, aux, 0);
}
EXPORT int PF(fspick)(int dfd, const char *path, unsigned int flags) {
    return (int)SYSCALL(SYS_fspick, dfd, path, flags, 0, 0, 0);
}
EXPORT int PF(move_mount)(int from_dfd, const char *from, int to_dfd, const char *to, unsigned int flags) {
    return (int)SYSCALL(SYS_move_mount, from_dfd, from, to_dfd, to, flags, 0);
}
EXPORT int PF(open_tree)(int dfd, const char *path, unsigned int flags) {
    return (int)SYSCALL(SYS_open_tree, dfd, path, flags, 0, 0, 0);
}
EXPORT int PF(mount_setattr)(int dfd, const char *path, unsigned int flags, void *attr, size_t size) {
    return (int)SYSCALL(SYS_mount_setattr, dfd, path, flags, attr, size, 0);
}
/* glibc 2.36. */
struct iovec;
EXPORT ssize_t PF(process_madvise)(int pidfd, const struct iovec *iov, size_t n, int advice, unsigned int flags) {
    return SYSCALL(SYS_process_madvise, pidfd, iov, n, advice, flags, 0);
}
EXPORT int PF(process_mrelease)(int pidfd, unsigned int flags) {
    return (int)SYSCALL(SYS_process_mrelease, pidfd, flags, 0, 0, 0, 0);
}
/* glibc 2.27: memory protection keys. pkey_mprotect with key -1 is plain mprotect, as in
 * glibc (which works on kernels without protection keys). */
EXPORT int PF(pkey_alloc)(unsigned int flags, unsigned int rights) {
    return (int)SYSCALL(SYS_pkey_alloc, flags, rights, 0, 0, 0, 0);
}
EXPORT int PF(pkey_free)(int key) { return (int)SYSCALL(SYS_pkey_free, key, 0, 0, 0, 0, 0); }
EXPORT int PF(pkey_mprotect)(void *addr, size_t len, int prot, int key) {
    if (key == -1)
        return (int)SYSCALL(SYS_mprotect, addr, len, prot, 0, 0, 0);
    return (int)SYSCALL(SYS_pkey_mprotect, addr, len, prot, key, 0, 0);
}
/* glibc 2.27: flags 0 is mlock; a kernel without mlock2 answers other flags with EINVAL
 * (sysdeps/unix/sysv/linux/mlock2.c). */
EXPORT int PF(mlock2)(const void *addr, size_t len, unsigned int flags) {
    if (flags == 0)
        return (int)SYSCALL(SYS_mlock, addr, len, 0, 0, 0, 0);
    long r = sys6(SYS_mlock2, (long)addr, (long)len, flags, 0, 0, 0);
    if (r == -ENOSYS)
        r = -EINVAL;
    return (int)sysret(r);
}
/* glibc 2.34. */
EXPORT int PF(execveat)(int dfd, const char *path, char *const argv[], char *const envp[], int flags) {
    return (int)SYSCALL(SYS_execveat, dfd, path, argv, envp, flags, 0);
}
/* glibc 2.30. */
EXPORT int PF(tgkill)(pid_t tgid, pid_t tid, int sig) { return (int)SYSCALL(SYS_tgkill, tgid, tid, sig, 0, 0, 0); }
/* glibc 2.29 (which asks the vDSO where there is one: the same answer). */
EXPORT int PF(getcpu)(unsigned int *cpu, unsigned int *node) {
    return (int)SYSCALL(SYS_getcpu, cpu, node, 0, 0, 0, 0);
}
