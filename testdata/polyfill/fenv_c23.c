/* Side by side with glibc: fegetmode, fesetmode, fesetexcept, fetestexceptflag
 * (polyfill/src/fenv_c23.c). Prints the modes saved and restored (rounding direction,
 * x87 precision control and MXCSR's flush-to-zero and denormals-are-zero bits on x86_64;
 * FPCR's rounding, flush-to-zero and default-NaN bits on aarch64), FE_DFL_MODE, the flags
 * each fesetexcept leaves, and fetestexceptflag over every subset. Built on glibc 2.36;
 * patched to 2.17 it runs on polyfills. */
#define _GNU_SOURCE
#include <fenv.h>
#include <stdio.h>
#include <string.h>

#define ALL (FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INEXACT)
static const int MODES[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};

static void show(const char *what) {
    femode_t m;
    memset(&m, 0xa5, sizeof m);
    int r = fegetmode(&m);
    unsigned char b[sizeof m];
    memcpy(b, &m, sizeof m);
    printf("%s: %d round %d flags %x mode", what, r, fegetround(), fetestexcept(ALL));
    for (unsigned i = 0; i < sizeof m; i++) printf(" %02x", b[i]);
    printf("\n");
}

/* Control bits beyond the rounding direction, set directly. */
static void extra(int k) {
#if defined(__x86_64__)
    unsigned short cw;
    unsigned int mxcsr;
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    cw = (unsigned short)((cw & ~0x300) | (k & 3) << 8); /* precision control */
    __asm__ volatile("fldcw %0" : : "m"(cw));
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr));
    mxcsr = (mxcsr & ~0x8040u) | (k & 4 ? 0x8000u : 0) | (k & 8 ? 0x40u : 0); /* FTZ, DAZ */
    __asm__ volatile("ldmxcsr %0" : : "m"(mxcsr));
#else
    unsigned long fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    fpcr = (fpcr & ~(3ul << 24)) | (unsigned long)(k & 3) << 24; /* FZ, DN */
    __asm__ volatile("msr fpcr, %0" : : "r"(fpcr));
#endif
}

int main(void) {
    show("start");
    for (int m = 0; m < 4; m++)
        for (int k = 0; k < 16; k++) {
            femode_t saved;
            fesetround(MODES[m]);
            extra(k);
            feclearexcept(ALL);
            feraiseexcept(MODES[m] == FE_UPWARD ? FE_INEXACT : FE_OVERFLOW);
            show("set");
            printf("fegetmode %d\n", fegetmode(&saved));
            printf("dfl %d\n", fesetmode(FE_DFL_MODE));
            show("default");
            fesetround(MODES[(m + 1) % 4]);
            extra(k ^ 5);
            show("changed");
            printf("restore %d\n", fesetmode(&saved));
            show("restored");
            fesetmode(FE_DFL_MODE);
        }
    for (int e = 0; e < 0x100; e++) {
        feclearexcept(ALL);
        int r = fesetexcept(e | (e & 0x80 ? 0x1000 : 0));
        printf("fesetexcept %x: %d -> %x\n", e, r, fetestexcept(ALL));
        fexcept_t f;
        fegetexceptflag(&f, e);
        feclearexcept(ALL);
        for (int t = 0; t < 0x40; t++) printf(" %x", fetestexceptflag(&f, t));
        printf(" | %x\n", fetestexcept(ALL));
    }
    fexcept_t junk;
    memset(&junk, 0xff, sizeof junk);
    for (int t = 0; t < 0x40; t++) printf(" %x", fetestexceptflag(&junk, t | 0x400));
    printf("\n");
    feclearexcept(ALL);
    show("end");
    return 0;
}
