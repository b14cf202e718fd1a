/* glibc 2.41's sched_getattr and sched_setattr: plain system-call wrappers in glibc
 * (INLINE_SYSCALL_CALL), so the same system call here, -1 and errno on failure, ENOSYS on a
 * kernel without it (before Linux 3.14). */
#include "common.h"
#if defined(__x86_64__)
#define SYS_sched_setattr 314
#define SYS_sched_getattr 315
#elif defined(__aarch64__)
#define SYS_sched_setattr 274
#define SYS_sched_getattr 275
#else
#define SYS_sched_setattr __NR_sched_setattr
#define SYS_sched_getattr __NR_sched_getattr
#endif

EXPORT int PF(sched_setattr)(pid_t pid, void *attr, unsigned int flags) {
    return (int)SYSCALL(SYS_sched_setattr, pid, attr, flags, 0, 0, 0);
}

EXPORT int PF(sched_getattr)(pid_t pid, void *attr, unsigned int size, unsigned int flags) {
    return (int)SYSCALL(SYS_sched_getattr, pid, attr, size, flags, 0, 0);
}
