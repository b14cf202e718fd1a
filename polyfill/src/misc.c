/* Small functions of 2.32-2.34 that older releases can express exactly. */
#include "common.h"

/* glibc 2.32: the description of a signal, or NULL; the same table as the sys_siglist
 * array every older release exports (compat-only from 2.32 on, still bindable). */
extern const char *const _sys_siglist[];
EXPORT const char *PF(sigdescr_np)(int sig) {
    if (sig >= 0 && sig < 65)
        return _sys_siglist[sig];
    return 0;
}

/* glibc 2.32: the description of an errno value, or NULL; sys_errlist has the same
 * strings (compat-only from 2.32 on). */
extern const char *const _sys_errlist[];
extern const int _sys_nerr;
EXPORT const char *PF(strerrordesc_np)(int err) {
    if (err >= 0 && err < _sys_nerr)
        return _sys_errlist[err];
    return 0;
}

/* glibc 2.34: close every descriptor >= lowfd. close_range where the kernel has it, else
 * each descriptor up to the RLIMIT_NOFILE soft limit (glibc walks /proc/self/fd; the
 * result is the same). */
#if defined(__x86_64__)
#define SYS_close 3
#define SYS_prlimit64 302
#elif defined(__aarch64__)
#define SYS_close 57
#define SYS_prlimit64 261
#else
#define SYS_close __NR_close
#define SYS_prlimit64 __NR_prlimit64
#endif
EXPORT void PF(closefrom)(int lowfd) {
    if (lowfd < 0)
        lowfd = 0;
    if (sys6(SYS_close_range, lowfd, ~0U, 0, 0, 0, 0) == 0)
        return;
    unsigned long long lim[2] = {1024, 1024}; /* struct rlimit64 */
    sys6(SYS_prlimit64, 0, 7 /* RLIMIT_NOFILE */, 0, (long)lim, 0, 0);
    for (unsigned long long fd = (unsigned long)lowfd; fd < lim[0]; fd++)
        sys6(SYS_close, (long)fd, 0, 0, 0, 0, 0);
}

/* glibc 2.33's mallinfo2 is mallinfo with size_t counters, added because mallinfo's int
 * fields overflow. The old mallinfo's counters, read as unsigned, are exact up to 4 GiB
 * per counter and wrap beyond (the plan says so). */
struct mallinfo_int {
    int arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
struct mallinfo_size {
    size_t arena, ordblks, smblks, hblks, hblkhd, usmblks, fsmblks, uordblks, fordblks, keepcost;
};
extern struct mallinfo_int mallinfo(void);
EXPORT struct mallinfo_size PF(mallinfo2)(void) {
    struct mallinfo_int m = mallinfo();
    struct mallinfo_size r;
    r.arena = (unsigned int)m.arena;
    r.ordblks = (unsigned int)m.ordblks;
    r.smblks = (unsigned int)m.smblks;
    r.hblks = (unsigned int)m.hblks;
    r.hblkhd = (unsigned int)m.hblkhd;
    r.usmblks = (unsigned int)m.usmblks;
    r.fsmblks = (unsigned int)m.fsmblks;
    r.uordblks = (unsigned int)m.uordblks;
    r.fordblks = (unsigned int)m.fordblks;
    r.keepcost = (unsigned int)m.keepcost;
    return r;
}

/* glibc 2.28's C11 thrd_exit is pthread_exit with the int result as the pointer value,
 * which is how glibc's own thrd_join reads it back. */
extern void pthread_exit(void *) __attribute__((noreturn));
EXPORT void PF(thrd_exit)(int res) { pthread_exit((void *)(long)res); }
