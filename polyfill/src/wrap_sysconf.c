/* Wrappers: functions every baseline has, whose meaning a newer glibc header extended
 * without a new symbol version. A wrapper is the object's symbol WRAP(name); elfcompat
 * binds the binary's references to `name` to it when lowering below the release that
 * extended the function. Each wrapper first asks the real function (through an alias
 * glibc exports under another name, so that the binary's own definition of `name`
 * cannot capture the call) and only supplies the newer answer where the older glibc
 * refuses the request: on a new glibc the result is glibc's own.
 *
 * sysconf, glibc 2.34: with _GNU_SOURCE (or _DYNAMIC_STACK_SIZE_SOURCE), <signal.h>
 * defines SIGSTKSZ as sysconf (_SC_SIGSTKSZ) and MINSIGSTKSZ as SIGSTKSZ (in every release
 * from 2.34 on, although 2.34's NEWS says sysconf (_SC_MINSIGSTKSZ)). An older sysconf
 * answers -1 (EINVAL) for those names, so a program built on 2.34 or later allocates -1
 * bytes for its signal stack.
 * glibc >= 2.34 answers from GLRO(dl_minsigstacksize):
 *   - the kernel's AT_MINSIGSTKSZ when the auxiliary vector has it;
 *   - else on x86 the signal frame size computed from CPUID leaf 0xd (with XSAVE),
 *     or MINSIGSTKSZ without it;
 *   - else the architecture's constant MINSIGSTKSZ;
 * _SC_MINSIGSTKSZ is that value, _SC_SIGSTKSZ is MAX (SIGSTKSZ, MAX (MINSIGSTKSZ, v) * 4).
 * The old glibc keeps no copy of the auxiliary vector's AT_MINSIGSTKSZ that a program can
 * read before 2.16 (getauxval), so the wrapper reads /proc/self/auxv with raw system
 * calls and falls back to the computation above when it cannot. */
#include "common.h"
#define WRAP(name) __elfcompat_wrap_##name

extern long __sysconf(int name);

#define SC_MINSIGSTKSZ 249
#define SC_SIGSTKSZ 250
#define AT_NULL 0
#define AT_MINSIGSTKSZ 51
#define AT_FDCWD (-100)
#define O_RDONLY 0
#define O_CLOEXEC 02000000

#if defined(__x86_64__)
#define SYS_read 0
#define SYS_openat 257
#define SYS_close_ 3
#define ARCH_MINSIGSTKSZ 2048L
#define ARCH_SIGSTKSZ 8192L
#elif defined(__aarch64__)
#define SYS_read 63
#define SYS_openat 56
#define SYS_close_ 57
#define ARCH_MINSIGSTKSZ 5120L
#define ARCH_SIGSTKSZ 16384L
#else
/* The other architectures: the kernel's numbers from <asm/unistd.h> (common.h), and
 * MINSIGSTKSZ and SIGSTKSZ of glibc's <bits/sigstack.h> for the architecture, which glibc
 * >= 2.34 answers when the kernel gives no AT_MINSIGSTKSZ (CONSTANT_MINSIGSTKSZ is
 * MINSIGSTKSZ; i386 computes it as x86_64 does, below). Checked against the sysconf of
 * glibc 2.36 and 2.41 on each (tests/silent_cross.rs). powerpc's constants grew after
 * 2.36 (2.36: 4096 and 16384; 2.41: 8192 and 32768, the kernel's since Linux raised them
 * for the larger signal frame): the wrapper answers the newer, larger ones, never too
 * small for the kernel the program runs on. */
#define SYS_read __NR_read
#define SYS_openat __NR_openat
#define SYS_close_ __NR_close
#if defined(__powerpc64__)
#define ARCH_MINSIGSTKSZ 8192L
#define ARCH_SIGSTKSZ 32768L
#elif defined(__i386__) || defined(__arm__) || defined(__s390x__) || defined(__riscv)
#define ARCH_MINSIGSTKSZ 2048L
#define ARCH_SIGSTKSZ 8192L
#else
#error "sysconf wrapper: no signal stack sizes for this architecture"
#endif
#endif

/* AT_MINSIGSTKSZ from /proc/self/auxv, or 0 (absent, or /proc not mounted). */
static unsigned long auxv_minsigstksz(void) {
    long fd = sys6(SYS_openat, AT_FDCWD, (long)"/proc/self/auxv", O_RDONLY | O_CLOEXEC, 0, 0, 0);
    if (fd < 0)
        return 0;
    unsigned long pair[2], found = 0;
    unsigned long got = 0;
    for (;;) {
        long r = sys6(SYS_read, fd, (long)((char *)pair + got), (long)(sizeof pair - got), 0, 0, 0);
        if (r == -EINTR)
            continue;
        if (r <= 0)
            break;
        got += (unsigned long)r;
        if (got < sizeof pair)
            continue;
        got = 0;
        if (pair[0] == AT_NULL)
            break;
        if (pair[0] == AT_MINSIGSTKSZ) {
            found = pair[1];
            break;
        }
    }
    sys6(SYS_close_, fd, 0, 0, 0, 0, 0);
    return found;
}

#if defined(__x86_64__) || defined(__i386__)
static void cpuid(unsigned int leaf, unsigned int sub, unsigned int r[4]) {
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

#if defined(__x86_64__)
#define SIGFRAME_SIZE (440 + 8) /* sizeof (struct rt_sigframe) + return address */
#else
/* sizeof (struct sigframe_ia32) + sizeof (struct fregs_state) + return address + three
 * 4-byte arguments */
#define SIGFRAME_SIZE (736 + 112 + 4 + 3 * 4)
#endif

/* glibc's dl_check_minsigstacksize (sysdeps/unix/sysv/linux/x86/dl-minsigstacksize.h). */
static long computed_minsigstksz(void) {
    unsigned int r[4];
    cpuid(0, 0, r);
    unsigned int max_leaf = r[0];
    cpuid(1, 0, r);
    int osxsave = (r[2] >> 27) & 1;
    if (max_leaf < 0xd || !osxsave)
        return ARCH_MINSIGSTKSZ;
    unsigned long size = SIGFRAME_SIZE;
    size += 15;                   /* stack alignment */
    size = (size + 15) & ~15UL;   /* the space before the xsave buffer, 16-byte multiple */
    size += 64 - 16;              /* the xsave buffer is 64-byte aligned */
    cpuid(0xd, 0, r);
    size += r[1];                 /* the xsave buffer for the enabled features */
    size += 4;                    /* FP_XSTATE_MAGIC2 */
    return (long)size;
}
#else
static long computed_minsigstksz(void) { return ARCH_MINSIGSTKSZ; }
#endif

static long minsigstksz_cache;

static long minsigstksz(void) {
    long v = minsigstksz_cache;
    if (v == 0) {
        v = (long)auxv_minsigstksz();
        if (v == 0)
            v = computed_minsigstksz();
        minsigstksz_cache = v;
    }
    return v;
}

EXPORT long WRAP(sysconf)(int name) {
    int saved = ERRNO;
    long r = __sysconf(name);
    if (r != -1 || (name != SC_MINSIGSTKSZ && name != SC_SIGSTKSZ) || ERRNO != EINVAL)
        return r;
    ERRNO = saved;
    long min = minsigstksz();
    if (name == SC_MINSIGSTKSZ)
        return min;
    if (min < ARCH_MINSIGSTKSZ)
        min = ARCH_MINSIGSTKSZ;
    long size = min * 4;
    return size < ARCH_SIGSTKSZ ? ARCH_SIGSTKSZ : size;
}
