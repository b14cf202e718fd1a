/* The C23 floating-point environment functions (glibc 2.25): fegetmode, fesetmode,
 * fesetexcept, fetestexceptflag, as glibc's sysdeps/{x86_64,aarch64}/fpu/ and
 * math/fetestexceptflag.c. The dynamic modes are x86_64's x87 control word with MXCSR's
 * control bits (femode_t { unsigned short cw, reserved; unsigned int mxcsr; }), and
 * aarch64's FPCR (femode_t = unsigned int); FE_DFL_MODE is (const femode_t *) -1. */
#include "common.h"
/* Not on 32-bit targets yet: written and tested for x86_64 and aarch64 (their long double,
 * FPU control registers and intmax_t returns); i386 and armhf keep these as blockers. */
#if __SIZEOF_LONG__ == 8

#define DFL_MODE ((const void *)-1L)

#if defined(__x86_64__)
#define ALL_EXCEPT 0x3d /* FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INEXACT */
#define ALL_EXCEPT_X86 0x3f /* and the denormal-operand flag */
typedef struct {
    unsigned short cw, reserved;
    unsigned int mxcsr;
} femode;
typedef unsigned short fexcept;

EXPORT int PF(fegetmode)(femode *m) {
    __asm__ volatile("fnstcw %0" : "=m"(m->cw));
    __asm__ volatile("stmxcsr %0" : "=m"(m->mxcsr));
    return 0;
}
/* The control word and MXCSR's control bits from the mode; MXCSR's flags stay. */
EXPORT int PF(fesetmode)(const femode *m) {
    unsigned short cw;
    unsigned int mxcsr;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    mxcsr &= ALL_EXCEPT_X86;
    if ((const void *)m == DFL_MODE) {
        cw = 0x037f;
        mxcsr |= ALL_EXCEPT_X86 << 7;
    } else {
        cw = m->cw;
        mxcsr |= m->mxcsr & ~ALL_EXCEPT_X86;
    }
    __asm__ volatile("fldcw %0" : : "m"(cw));
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    return 0;
}
/* Sets the flags in MXCSR without raising them (no trap). */
EXPORT int PF(fesetexcept)(int excepts) {
    unsigned int mxcsr;
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    mxcsr |= (unsigned)excepts & ALL_EXCEPT;
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
    return 0;
}
#elif defined(__aarch64__)
#define ALL_EXCEPT 0x1f
#define FPCR_RESERVED 0xfe0fe0f8u
typedef unsigned int femode;
typedef unsigned int fexcept;

static unsigned int get_fpcr(void) {
    unsigned long v;
    __asm__ volatile("mrs %0, fpcr" : "=r"(v));
    return (unsigned int)v;
}
EXPORT int PF(fegetmode)(femode *m) {
    *m = get_fpcr();
    return 0;
}
EXPORT int PF(fesetmode)(const femode *m) {
    unsigned int fpcr = get_fpcr();
    unsigned int next = (const void *)m == DFL_MODE ? fpcr & FPCR_RESERVED : *m;
    if (fpcr != next)
        __asm__ volatile("msr fpcr, %0" : : "r"((unsigned long)next));
    return 0;
}
EXPORT int PF(fesetexcept)(int excepts) {
    unsigned long fpsr, next;
    __asm__ volatile("mrs %0, fpsr" : "=r"(fpsr));
    next = fpsr | ((unsigned)excepts & ALL_EXCEPT);
    if (fpsr != next)
        __asm__ volatile("msr fpsr, %0" : : "r"(next));
    return 0;
}
#endif

EXPORT int PF(fetestexceptflag)(const fexcept *flagp, int excepts) {
    return *flagp & excepts & ALL_EXCEPT;
}
#endif /* __SIZEOF_LONG__ == 8 */
