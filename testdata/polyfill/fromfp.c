/* Side by side with glibc: fromfp, fromfpx, ufromfp, ufromfpx (polyfill/src/fromfp.c) in
 * their two meanings. Prints each result as bits with errno and the raised exceptions, for
 * every rounding direction (and an unknown one) and widths from 0 past the type's range,
 * on zeros, halfway cases, subnormals, values at the edges of each width, infinities and
 * NaNs.
 * - Built plainly: glibc 2.25's meaning (intmax_t), glibc 2.36's own functions; patched to
 *   2.17 it runs on the polyfills (fromfp@GLIBC_2.25).
 * - Built with -DC23 against a stub libm.so.6 that defines the GLIBC_2.43 versions: the
 *   program references fromfp@GLIBC_2.43 and friends (the C23 meaning, a floating
 *   result), which only the polyfills implement here; patched to 2.17 it runs on them.
 * - Built with -DC23 -DREFERENCE: the C23 meaning composed from glibc 2.36's own parts
 *   (its ceil, floor, trunc, round and roundeven for the value; the range check that
 *   glibc's intmax_t fromfp makes, for widths up to 64; an exact comparison beyond), to
 *   compare the -DC23 program's output with. */
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ALL (FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INEXACT)
static int err, flags;
/* The exception flags read and cleared directly (the -DC23 program links no libm). */
#if defined(__x86_64__)
static void clear_flags(void) {
    unsigned m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    m &= ~0x3fu;
    __asm__ volatile("ldmxcsr %0" : : "m"(m));
    __asm__ volatile("fnclex");
}
static int test_flags(void) {
    unsigned m;
    unsigned short s;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    __asm__ volatile("fnstsw %0" : "=m"(s));
    return (int)((m | s) & ALL);
}
#elif defined(__s390x__)
/* The FPC register: the IEEE flags in its second byte (glibc's FPC_FLAGS_SHIFT 16, the
 * same bits as FE_*), the data-exception code in its third. */
static void clear_flags(void) {
    unsigned fpc;
    __asm__ volatile("efpc %0" : "=d"(fpc));
    fpc &= ~0x00ffff00u;
    __asm__ volatile("sfpc %0" : : "d"(fpc));
}
static int test_flags(void) {
    unsigned fpc;
    __asm__ volatile("efpc %0" : "=d"(fpc));
    return (int)((fpc >> 16) & ALL);
}
#elif defined(__riscv)
/* The fflags CSR: NV DZ OF UF NX, the same bits as FE_*. */
static void clear_flags(void) { __asm__ volatile("csrw fflags, zero"); }
static int test_flags(void) {
    unsigned long s;
    __asm__ volatile("csrr %0, fflags" : "=r"(s));
    return (int)(s & ALL);
}
#else
static void clear_flags(void) { __asm__ volatile("msr fpsr, xzr"); }
static int test_flags(void) {
    unsigned long s;
    __asm__ volatile("mrs %0, fpsr" : "=r"(s));
    return (int)(s & ALL);
}
#endif
static void pre(void) { errno = 0; clear_flags(); }
static void post(void) { err = errno; flags = test_flags(); }
static void end(void) { printf(" e%d f%x\n", err, flags); }

static unsigned long long seed = 0x853c49e6748fea9bULL;
static unsigned long long rnd(void) {
    seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
    return seed;
}
static double d(unsigned long long u) { double x; memcpy(&x, &u, 8); return x; }
static unsigned long long db(double x) { unsigned long long u; memcpy(&u, &x, 8); return u; }
static float f(unsigned u) { float x; memcpy(&x, &u, 4); return x; }
static unsigned fb(float x) { unsigned u; memcpy(&u, &x, 4); return u; }

/* The neighbour of x towards +-infinity, and 2^k (the -DC23 program links no libm). */
static double next(double x, int up) {
    if (x != x || x == (up ? INFINITY : -INFINITY)) return x;
    if (x == 0) return up ? d(1) : d(0x8000000000000001);
    return d(db(x) + ((x > 0) == up ? 1 : -1));
}
static float nextf_(float x, int up) {
    if (x != x || x == (up ? INFINITY : -INFINITY)) return x;
    if (x == 0) return up ? f(1) : f(0x80000001);
    return f(fb(x) + ((x > 0) == up ? 1 : -1));
}
static double pow2(int k) { return d((unsigned long long)(k + 1023) << 52); }

static const unsigned WIDTHS[] = {0, 1, 2, 3, 8, 16, 31, 32, 33, 52, 53, 54, 63, 64, 65,
                                  100, 127, 128, 129, 1023, 1024, 1025, 5000, 16383,
                                  16384, 16385, 20000};
#define NW (sizeof WIDTHS / sizeof WIDTHS[0])
static const int DIRS[] = {FP_INT_UPWARD, FP_INT_DOWNWARD, FP_INT_TOWARDZERO,
                           FP_INT_TONEARESTFROMZERO, FP_INT_TONEAREST, 9};

#ifndef C23
/* glibc 2.25's meaning: glibc 2.36's functions. */
#define RUN(T, sfx, fmt, bits)                                                            \
    static void run##sfx(T x) {                                                           \
        for (unsigned i = 0; i < NW; i++)                                                 \
            for (unsigned j = 0; j < 6; j++) {                                            \
                unsigned w = WIDTHS[i];                                                   \
                int r = DIRS[j];                                                          \
                printf("%s %" fmt " %d %u", #sfx, bits(x), r, w);                         \
                pre(); intmax_t a = fromfp##sfx(x, r, w); post();                         \
                printf(" %jd", a); end();                                                 \
                pre(); intmax_t b = fromfpx##sfx(x, r, w); post();                        \
                printf("   x %jd", b); end();                                             \
                pre(); uintmax_t c = ufromfp##sfx(x, r, w); post();                       \
                printf("   u %ju", c); end();                                             \
                pre(); uintmax_t e = ufromfpx##sfx(x, r, w); post();                      \
                printf("   ux %ju", e); end();                                            \
            }                                                                             \
    }
#else
#define DIR_ROUND(T, sfx)                                                                 \
    static T round_dir##sfx(T x, int r) {                                                 \
        switch (r) {                                                                      \
        case FP_INT_UPWARD: return ceil##sfx(x);                                          \
        case FP_INT_DOWNWARD: return floor##sfx(x);                                       \
        case FP_INT_TONEARESTFROMZERO: return round##sfx(x);                              \
        case FP_INT_TONEAREST: return roundeven##sfx(x);                                  \
        default: return trunc##sfx(x);                                                    \
        }                                                                                 \
    }
#ifdef REFERENCE
/* The C23 meaning from glibc 2.36's parts. */
#define C23FN(T, sfx, MAXEXP)                                                             \
    DIR_ROUND(T, sfx)                                                                     \
    static T c23##sfx(T x, int r, unsigned w, int uns, int inexact) {                     \
        T rx = round_dir##sfx(x, r);                                                      \
        int domain;                                                                       \
        if (w > (unsigned)(uns ? MAXEXP : MAXEXP + 1))                                    \
            w = uns ? MAXEXP : MAXEXP + 1;                                                \
        if (w == 0 || !isfinite(rx))                                                      \
            domain = 1;                                                                   \
        else if (w <= 64) {                                                               \
            int save = errno, fl = fetestexcept(ALL);                                     \
            errno = 0;                                                                    \
            if (uns) ufromfp##sfx(x, r, w); else fromfp##sfx(x, r, w);                    \
            domain = errno == EDOM;                                                       \
            errno = save;                                                                 \
            feclearexcept(ALL);                                                           \
            feraiseexcept(fl);                                                            \
        } else if (uns)                                                                   \
            domain = rx < 0 || (w < MAXEXP && rx >= ldexp##sfx(1, (int)w));               \
        else                                                                              \
            domain = w <= MAXEXP && (fabs##sfx(rx) > ldexp##sfx(1, (int)w - 1) ||         \
                                     rx == ldexp##sfx(1, (int)w - 1));                    \
        if (domain) {                                                                     \
            errno = EDOM;                                                                 \
            volatile T z = 0;                                                             \
            return z / z;                                                                 \
        }                                                                                 \
        if (inexact && rx != x) {                                                         \
            volatile float one = 1.0f, tiny = FLT_MIN;                                    \
            volatile float s = one + tiny;                                                \
            (void)s;                                                                      \
        }                                                                                 \
        return rx;                                                                        \
    }                                                                                     \
    static T fromfp##sfx##_(T x, int r, unsigned w) { return c23##sfx(x, r, w, 0, 0); }    \
    static T fromfpx##sfx##_(T x, int r, unsigned w) { return c23##sfx(x, r, w, 0, 1); }   \
    static T ufromfp##sfx##_(T x, int r, unsigned w) { return c23##sfx(x, r, w, 1, 0); }   \
    static T ufromfpx##sfx##_(T x, int r, unsigned w) { return c23##sfx(x, r, w, 1, 1); }
#else
/* References to the GLIBC_2.43 versions (the stub library defines them at link time). */
#define C23FN(T, sfx, MAXEXP)                                                             \
    T fromfp##sfx##_(T, int, unsigned);                                                   \
    T fromfpx##sfx##_(T, int, unsigned);                                                  \
    T ufromfp##sfx##_(T, int, unsigned);                                                  \
    T ufromfpx##sfx##_(T, int, unsigned);                                                 \
    __asm__(".symver fromfp" #sfx "_, fromfp" #sfx "@GLIBC_2.43");                        \
    __asm__(".symver fromfpx" #sfx "_, fromfpx" #sfx "@GLIBC_2.43");                      \
    __asm__(".symver ufromfp" #sfx "_, ufromfp" #sfx "@GLIBC_2.43");                      \
    __asm__(".symver ufromfpx" #sfx "_, ufromfpx" #sfx "@GLIBC_2.43");
#endif
#define RUN(T, sfx, fmt, bits)                                                            \
    static void run##sfx(T x) {                                                           \
        for (unsigned i = 0; i < NW; i++)                                                 \
            for (unsigned j = 0; j < 6; j++) {                                            \
                unsigned w = WIDTHS[i];                                                   \
                int r = DIRS[j];                                                          \
                printf("%s %" fmt " %d %u", #sfx, bits(x), r, w);                         \
                pre(); T a = fromfp##sfx##_(x, r, w); post();                             \
                printf(" %" fmt, bits(a)); end();                                         \
                pre(); T b = fromfpx##sfx##_(x, r, w); post();                            \
                printf("   x %" fmt, bits(b)); end();                                     \
                pre(); T c = ufromfp##sfx##_(x, r, w); post();                            \
                printf("   u %" fmt, bits(c)); end();                                     \
                pre(); T e = ufromfpx##sfx##_(x, r, w); post();                           \
                printf("   ux %" fmt, bits(e)); end();                                    \
            }                                                                             \
    }
C23FN(double, , 1024)
C23FN(float, f, 128)
#if defined(__x86_64__)
C23FN(long double, l, 16384)
#endif
#endif

#if defined(__x86_64__)
static const char *ldb(long double x) {
    static char buf[4][40];
    static int k;
    unsigned long long m; unsigned short se;
    memcpy(&m, &x, 8); memcpy(&se, (char *)&x + 8, 2);
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%04x:%016llx", se, m);
    return buf[k];
}
static long double ld(unsigned short se, unsigned long long m) {
    long double x = 0; memcpy(&x, &m, 8); memcpy((char *)&x + 8, &se, 2); return x;
}
#endif

RUN(double, , "016llx", db)
RUN(float, f, "08x", fb)
#if defined(__x86_64__)
RUN(long double, l, "s", ldb)
#endif

int main(void) {
    static const double D[] = {0, -0.0, 0.25, 0.5, -0.5, 0.75, 1, -1, 1.5, -1.5, 2.5, -2.5,
                               3.5, 127.5, -128.5, 255.5, 256, -256, 32767.5, 2147483647.5,
                               -2147483648.5, 4294967295.5, 9007199254740991.0,
                               9007199254740993.0, 4503599627370495.5, 9.2233720368547758e18,
                               -9.2233720368547758e18, 1.8446744073709552e19, 1e30, -1e300,
                               INFINITY, -INFINITY, DBL_MAX};
    for (unsigned i = 0; i < sizeof D / sizeof D[0]; i++) {
        run(D[i]);
        run(next(D[i], 1));
        run(next(D[i], 0));
        runf((float)D[i]);
        runf(nextf_((float)D[i], 1));
    }
    run(d(0x7ff8000000000000)); run(d(0xfff4000000000001)); run(d(1)); run(d(0x800fffffffffffff));
    runf(f(0x7fc00000)); runf(f(0xff800001)); runf(f(1)); runf(f(0x807fffff));
    for (int i = 0; i < 100; i++) {
        unsigned long long r = rnd();
        double x = (double)(r >> 11) * pow2((int)(r % 140) - 100);
        run((r >> 5) & 1 ? -x : x);
        runf((float)((r >> 6) & 1 ? -x : x));
    }
#if defined(__x86_64__)
    static const struct { unsigned short se; unsigned long long m; } L[] = {
        {0, 0}, {0x8000, 0}, {0, 1}, {0x3ffe, 0x8000000000000000}, {0xbffe, 0x8000000000000000},
        {0x3ffe, 0xc000000000000000}, {0x4000, 0xa000000000000000}, {0xc000, 0xa000000000000000},
        {0x403e, 0xffffffffffffffff}, {0x403d, 0xffffffffffffffff}, {0x403e, 0x8000000000000000},
        {0xc03e, 0x8000000000000000}, {0xc03e, 0x8000000000000001}, {0x403f, 0x8000000000000000},
        {0x403c, 0xffffffffffffffff}, {0x4030, 0xffffffffffff8000}, {0x7ffe, 0xffffffffffffffff},
        {0x7fff, 0x8000000000000000}, {0xffff, 0x8000000000000000}, {0x7fff, 0xc000000000000000},
        {0x7fff, 0xa000000000000001}, {0x400f, 0xffff800000000000}, {0xc00f, 0xffff800000000000},
    };
    for (unsigned i = 0; i < sizeof L / sizeof L[0]; i++) runl(ld(L[i].se, L[i].m));
    for (int i = 0; i < 60; i++) {
        unsigned long long r = rnd(), m = rnd() | 1ULL << 63;
        runl(ld((unsigned short)(((r >> 7) & 1 ? 0x8000 : 0) | (0x3fff + (int)(r % 80) - 5)), m));
    }
#endif
    return 0;
}
