/* open and openat with O_TMPFILE, glibc 2.19-2.21: <fcntl.h> has O_TMPFILE since 2.19,
 * but the C functions behind openat (and, on aarch64, open) read their mode argument
 * only for O_CREAT until 2.22, so an O_TMPFILE file is created with mode 0000 (linkat
 * then publishes an unreadable file). x86_64's open and open64 were system-call stubs
 * that pass the mode register through, so they need no wrapper.
 *
 * The wrapper makes an O_TMPFILE open itself, with the mode, as glibc >= 2.22 does (one
 * openat system call; unlike glibc's it is not a cancellation point), and passes every
 * other open to the real function (the binary's import of the same name, which its
 * hidden definition of the wrapper cannot capture: see patch/link.rs). */
#include <stdarg.h>
#include "common.h"
/* Not on 32-bit targets: the openat system-call number and open's mode handling are
 * the 64-bit architectures'; not ported yet. */
#if __SIZEOF_LONG__ == 8

#define WRAP(name) __elfcompat_wrap_##name

#define O_CREAT 0100
#define O_TMPFILE_BITS 020000000 /* __O_TMPFILE: with O_DIRECTORY it makes O_TMPFILE */
#define AT_FDCWD (-100)
#if defined(__x86_64__)
#define SYS_openat_ 257
#else
#define SYS_openat_ 56
#endif

extern int openat(int, const char *, int, ...);
extern int openat64(int, const char *, int, ...);

static unsigned int mode_of(int flags, va_list ap) {
    if ((flags & O_CREAT) || (flags & O_TMPFILE_BITS))
        return va_arg(ap, unsigned int);
    return 0;
}

#define COMMA ,

/* The wrapper of an open function: DIRFD_PARAM is its directory argument (or nothing),
 * DIRFD what the system call gets for it, ARGS what the real function is called with. */
#define OPEN_WRAPPER(name, DIRFD_PARAM, DIRFD, ...)                                         \
    EXPORT int WRAP(name)(DIRFD_PARAM const char *path, int flags, ...) {                  \
        va_list ap;                                                                        \
        va_start(ap, flags);                                                               \
        unsigned int mode = mode_of(flags, ap);                                            \
        va_end(ap);                                                                        \
        if (flags & O_TMPFILE_BITS)                                                        \
            return (int)SYSCALL(SYS_openat_, DIRFD, path, flags, mode, 0, 0);              \
        return name(__VA_ARGS__ path, flags, mode);                                        \
    }

OPEN_WRAPPER(openat, int fd COMMA, fd, fd COMMA)
OPEN_WRAPPER(openat64, int fd COMMA, fd, fd COMMA)

#if defined(__aarch64__)
extern int open(const char *, int, ...);
extern int open64(const char *, int, ...);

OPEN_WRAPPER(open, , AT_FDCWD, )
OPEN_WRAPPER(open64, , AT_FDCWD, )
#endif
#endif
