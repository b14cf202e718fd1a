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
#else
#define SYS_close 57
#define SYS_prlimit64 261
#endif
EXPORT void PF(closefrom)(int lowfd) {
    if (lowfd < 0)
        lowfd = 0;
    if (sys6(SYS_close_range, lowfd, ~0U, 0, 0, 0, 0) == 0)
        return;
    unsigned long lim[2] = {1024, 1024};
    sys6(SYS_prlimit64, 0, 7 /* RLIMIT_NOFILE */, 0, (long)lim, 0, 0);
    for (unsigned long fd = (unsigned long)lowfd; fd < lim[0]; fd++)
        sys6(SYS_close, (long)fd, 0, 0, 0, 0, 0);
}
