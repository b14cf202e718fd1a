/* open and openat with O_TMPFILE, glibc 2.19-2.21: <fcntl.h> has O_TMPFILE since 2.19,
 * but the C functions behind openat (and, on aarch64, open) read their mode argument
 * only for O_CREAT until 2.22, so an O_TMPFILE file is created with mode 0000 (linkat
 * then publishes an unreadable file). x86_64's open and open64 were system-call stubs
 * that pass the mode register through, so they need no wrapper (nor do open on any
 * architecture but aarch64, or open64 on the 64-bit ones); open64 on i386 and armhf does.
 * O_CREAT and __O_TMPFILE have the same values on every architecture here (O_DIRECTORY,
 * the other bit of O_TMPFILE, does not: the wrapper tests only __O_TMPFILE).
 *
 * The wrapper makes an O_TMPFILE open itself, with the mode, as glibc >= 2.22 does (one
 * openat system call; unlike glibc's it is not a cancellation point), and passes every
 * other open to the real function (the binary's import of the same name, which its
 * hidden definition of the wrapper cannot capture: see patch/link.rs). */
#include <stdarg.h>
#include "common.h"
#define WRAP(name) __elfcompat_wrap_##name

#define O_CREAT 0100
#define O_TMPFILE_BITS 020000000 /* __O_TMPFILE: with O_DIRECTORY it makes O_TMPFILE */
#define AT_FDCWD (-100)
#if defined(__x86_64__)
#define SYS_openat_ 257
#elif defined(__aarch64__)
#define SYS_openat_ 56
#else
#define SYS_openat_ __NR_openat
#endif
/* O_LARGEFILE, which glibc's open64 and openat64 add on 32-bit architectures (their
 * <asm/fcntl.h> values: arm's is not x86's); the kernel sets it itself on 64-bit ones. */
#if defined(__i386__)
#define O_LARGEFILE_ 0100000
#elif defined(__arm__)
#define O_LARGEFILE_ 0400000
#else
#define O_LARGEFILE_ 0
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
#define OPEN_WRAPPER(name, LARGE, DIRFD_PARAM, DIRFD, ...)                                  \
    EXPORT int WRAP(name)(DIRFD_PARAM const char *path, int flags, ...) {                  \
        va_list ap;                                                                        \
        va_start(ap, flags);                                                               \
        unsigned int mode = mode_of(flags, ap);                                            \
        va_end(ap);                                                                        \
        if (flags & O_TMPFILE_BITS)                                                        \
            return (int)SYSCALL(SYS_openat_, DIRFD, path, flags | LARGE, mode, 0, 0);      \
        return name(__VA_ARGS__ path, flags, mode);                                        \
    }

OPEN_WRAPPER(openat, 0, int fd COMMA, fd, fd COMMA)
OPEN_WRAPPER(openat64, O_LARGEFILE_, int fd COMMA, fd, fd COMMA)

/* open and open64: C functions that dropped the mode on aarch64 (no open system call);
 * elsewhere open was a system-call stub, and so was open64 on the 64-bit architectures
 * (an alias of open), but on the 32-bit ones open64 was a C function that dropped it
 * (sysdeps/unix/sysv/linux/open64.c before 2.22). */
#if defined(__aarch64__)
extern int open(const char *, int, ...);
extern int open64(const char *, int, ...);

OPEN_WRAPPER(open, 0, , AT_FDCWD, )
OPEN_WRAPPER(open64, O_LARGEFILE_, , AT_FDCWD, )
#elif defined(__i386__) || defined(__arm__)
extern int open64(const char *, int, ...);

OPEN_WRAPPER(open64, O_LARGEFILE_, , AT_FDCWD, )
#endif
