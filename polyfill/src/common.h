/* Shared declarations for the polyfills. No glibc header is included: every polyfill is
 * compiled freestanding, and everything it takes from glibc is declared here with the
 * signature of the glibc version it binds to (elfcompat picks the newest version of each
 * at or below the baseline from its ABI database). */
#ifndef ELFCOMPAT_POLYFILL_COMMON_H
#define ELFCOMPAT_POLYFILL_COMMON_H

typedef unsigned long size_t;
typedef long ssize_t;
typedef long off_t;
typedef unsigned int mode_t;
typedef unsigned long dev_t;
typedef int pid_t;
typedef unsigned int uint32_t;
typedef unsigned char uint8_t;
typedef unsigned long uintptr_t;

/* The polyfill of glibc symbol NAME is the function/object PF(NAME). */
#define PF(name) __elfcompat_pf_##name
/* Exported polyfills are found by name in the object; hidden visibility keeps calls
 * between them direct (no GOT entry). */
#define EXPORT

extern int *__errno_location(void);
#define ERRNO (*__errno_location())

#define EINTR 4
#define EIO 5
#define ENOMEM 12
#define EFAULT 14
#define EINVAL 22
#define ENOSYS 38

/* Raw system calls: no glibc wrapper exists in the old release for these. */
#if defined(__x86_64__)
static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
    long ret;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}
#define SYS_getrandom 318
#define SYS_gettid 186
#define SYS_close_range 436
#define SYS_copy_file_range 326
#define SYS_memfd_create 319
#define SYS_statx 332
#define SYS_pidfd_open 434
#define SYS_pidfd_send_signal 424
#define SYS_pidfd_getfd 438
#define STAT_VER 1
#define MKNOD_VER 0
#elif defined(__aarch64__)
static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
    register long x8 __asm__("x8") = n;
    register long x0 __asm__("x0") = a;
    register long x1 __asm__("x1") = b;
    register long x2 __asm__("x2") = c;
    register long x3 __asm__("x3") = d;
    register long x4 __asm__("x4") = e;
    register long x5 __asm__("x5") = f;
    __asm__ volatile("svc 0"
                     : "+r"(x0)
                     : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
                     : "memory");
    return x0;
}
#define SYS_getrandom 278
#define SYS_gettid 178
#define SYS_close_range 436
#define SYS_copy_file_range 285
#define SYS_memfd_create 279
#define SYS_statx 291
#define SYS_pidfd_open 434
#define SYS_pidfd_send_signal 424
#define SYS_pidfd_getfd 438
#define STAT_VER 0
#define MKNOD_VER 0
#else
#error "no polyfills for this architecture yet"
#endif

/* glibc's convention: -1 and errno for a failed system call. */
static inline long sysret(long r) {
    if ((unsigned long)r > -4096UL) {
        ERRNO = (int)-r;
        return -1;
    }
    return r;
}
#define SYSCALL(n, a, b, c, d, e, f) sysret(sys6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f)))

#endif
