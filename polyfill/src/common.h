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
/* glibc's dev_t is 64-bit on every architecture (unsigned long long on 32-bit ones). */
typedef unsigned long long dev_t;
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
#elif defined(__i386__) || defined(__arm__)
/* The 32-bit architectures: the kernel's system-call numbers from the cross toolchain's
 * <asm/unistd.h> (linux-libc-dev), so no table of numbers is kept here. */
#include <asm/unistd.h>
#if defined(__i386__)
/* int $0x80 takes the six arguments in ebx, ecx, edx, esi, edi, ebp. ebx (the PIC
 * register) and ebp (no constraint names it) are loaded from memory around the call. */
static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
    long ret;
    long in[3] = {a, f, n};
    __asm__ volatile("pushl %%ebp\n\t"
                     "pushl %%ebx\n\t"
                     "movl 0(%%eax), %%ebx\n\t"
                     "movl 4(%%eax), %%ebp\n\t"
                     "movl 8(%%eax), %%eax\n\t"
                     "int $0x80\n\t"
                     "popl %%ebx\n\t"
                     "popl %%ebp"
                     : "=a"(ret)
                     : "0"(in), "c"(b), "d"(c), "S"(d), "D"(e)
                     : "memory");
    return ret;
}
#else
/* EABI: the number in r7, the arguments in r0-r5. */
static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
    register long r7 __asm__("r7") = n;
    register long r0 __asm__("r0") = a;
    register long r1 __asm__("r1") = b;
    register long r2 __asm__("r2") = c;
    register long r3 __asm__("r3") = d;
    register long r4 __asm__("r4") = e;
    register long r5 __asm__("r5") = f;
    __asm__ volatile("svc 0"
                     : "+r"(r0)
                     : "r"(r7), "r"(r1), "r"(r2), "r"(r3), "r"(r4), "r"(r5)
                     : "memory");
    return r0;
}
#endif
#define SYS_getrandom __NR_getrandom
#define SYS_gettid __NR_gettid
#define SYS_close_range __NR_close_range
#define SYS_copy_file_range __NR_copy_file_range
#define SYS_memfd_create __NR_memfd_create
#define SYS_statx __NR_statx
#define SYS_pidfd_open __NR_pidfd_open
#define SYS_pidfd_send_signal __NR_pidfd_send_signal
#define SYS_pidfd_getfd __NR_pidfd_getfd
/* _STAT_VER_LINUX and _MKNOD_VER_LINUX of glibc's 32-bit xstatver.h (i386 and arm). */
#define STAT_VER 3
#define MKNOD_VER 1
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
/* ppc64el (ELFv2): the kernel's numbers from the cross toolchain's <asm/unistd.h>. `sc`
 * takes the number in r0 and the arguments in r3-r8, returns in r3 and reports an error by
 * cr0's summary-overflow bit with a positive errno in r3 (negated here, so sysret sees the
 * -errno the other architectures return); r0 and r3-r12, cr0 and ctr are clobbered. */
#include <asm/unistd.h>
static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
    register long r0 __asm__("r0") = n;
    register long r3 __asm__("r3") = a;
    register long r4 __asm__("r4") = b;
    register long r5 __asm__("r5") = c;
    register long r6 __asm__("r6") = d;
    register long r7 __asm__("r7") = e;
    register long r8 __asm__("r8") = f;
    __asm__ volatile("sc\n\t"
                     "bns+ 1f\n\t"
                     "neg %1, %1\n"
                     "1:"
                     : "+r"(r0), "+r"(r3), "+r"(r4), "+r"(r5), "+r"(r6), "+r"(r7), "+r"(r8)
                     :
                     : "r9", "r10", "r11", "r12", "cr0", "ctr", "memory");
    return r3;
}
#define SYS_getrandom __NR_getrandom
#define SYS_gettid __NR_gettid
#define SYS_close_range __NR_close_range
#define SYS_copy_file_range __NR_copy_file_range
#define SYS_memfd_create __NR_memfd_create
#define SYS_statx __NR_statx
#define SYS_pidfd_open __NR_pidfd_open
#define SYS_pidfd_send_signal __NR_pidfd_send_signal
#define SYS_pidfd_getfd __NR_pidfd_getfd
/* _STAT_VER_LINUX and _MKNOD_VER_LINUX of glibc's 64-bit powerpc (bits/stat.h before 2.33; __xmknod
 * answers any other version with EINVAL). */
#define STAT_VER 1
#define MKNOD_VER 1
#elif defined(__s390x__)
/* svc 0 with the number in r1, the arguments in r2-r7, the result in r2; the numbers from
 * the cross toolchain's <asm/unistd.h>. */
#include <asm/unistd.h>
static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
    register long r1 __asm__("r1") = n;
    register long r2 __asm__("r2") = a;
    register long r3 __asm__("r3") = b;
    register long r4 __asm__("r4") = c;
    register long r5 __asm__("r5") = d;
    register long r6 __asm__("r6") = e;
    register long r7 __asm__("r7") = f;
    __asm__ volatile("svc 0"
                     : "+r"(r2)
                     : "r"(r1), "r"(r3), "r"(r4), "r"(r5), "r"(r6), "r"(r7)
                     : "memory");
    return r2;
}
#define SYS_getrandom __NR_getrandom
#define SYS_gettid __NR_gettid
#define SYS_close_range __NR_close_range
#define SYS_copy_file_range __NR_copy_file_range
#define SYS_memfd_create __NR_memfd_create
#define SYS_statx __NR_statx
#define SYS_pidfd_open __NR_pidfd_open
#define SYS_pidfd_send_signal __NR_pidfd_send_signal
#define SYS_pidfd_getfd __NR_pidfd_getfd
/* _STAT_VER_LINUX and _MKNOD_VER_LINUX of glibc's s390 xstatver.h for 64-bit. */
#define STAT_VER 1
#define MKNOD_VER 0
#elif defined(__riscv) && __riscv_xlen == 64
/* The number in a7, the arguments in a0-a5; the kernel's (asm-generic) numbers from the
 * cross toolchain's <asm/unistd.h>. _STAT_VER and _MKNOD_VER of riscv64's glibc: 0. */
#include <asm/unistd.h>
static inline long sys6(long n, long a, long b, long c, long d, long e, long f) {
    register long a7 __asm__("a7") = n;
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a3 __asm__("a3") = d;
    register long a4 __asm__("a4") = e;
    register long a5 __asm__("a5") = f;
    __asm__ volatile("ecall"
                     : "+r"(a0)
                     : "r"(a7), "r"(a1), "r"(a2), "r"(a3), "r"(a4), "r"(a5)
                     : "memory");
    return a0;
}
#define SYS_getrandom __NR_getrandom
#define SYS_gettid __NR_gettid
#define SYS_close_range __NR_close_range
#define SYS_copy_file_range __NR_copy_file_range
#define SYS_memfd_create __NR_memfd_create
#define SYS_statx __NR_statx
#define SYS_pidfd_open __NR_pidfd_open
#define SYS_pidfd_send_signal __NR_pidfd_send_signal
#define SYS_pidfd_getfd __NR_pidfd_getfd
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
