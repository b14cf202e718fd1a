/* Side by side with glibc: the exact libm functions (polyfill/src/math_exact.c) on
 * signed zeros, subnormals, boundaries, infinities, quiet and signalling NaNs with
 * payloads and pseudo-random bits. Prints each result as hex bits with errno and the
 * raised exceptions. Built on glibc 2.36; patched to 2.17 it runs on polyfills. */
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long long seed = 0x9e3779b97f4a7c15ULL;
static unsigned long long rnd(void) {
    seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
    return seed;
}
static void pre(void) { errno = 0; feclearexcept(FE_ALL_EXCEPT); }
static void post(void) {
    printf(" e%d f%x\n", errno, fetestexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INEXACT));
}

static const unsigned long long D[] = {
    0, 0x8000000000000000, 1, 0x8000000000000001, 0x000fffffffffffff, 0x0010000000000000,
    0x3fe0000000000000, 0xbfe0000000000000, 0x3fe0000000000001, 0x3ff0000000000000,
    0x3ff8000000000000, 0xc004000000000000, 0x400c000000000000, 0x4330000000000001,
    0x432fffffffffffff, 0x4340000000000000, 0x7fefffffffffffff, 0xffefffffffffffff,
    0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000, 0xfff8000000000123,
    0x7ff4000000000001, 0xfff0000000000005, 0x3fdfffffffffffff, 0x4000000000000000,
};
static const unsigned F[] = {
    0, 0x80000000, 1, 0x80000001, 0x007fffff, 0x00800000, 0x3f000000, 0xbf000000,
    0x3f000001, 0x3f800000, 0x3fc00000, 0xc0200000, 0x40600000, 0x4b000001, 0x4affffff,
    0x4b800000, 0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00123,
    0x7fa00001, 0xff800005, 0x3effffff, 0x40000000,
};
#define N (sizeof D / sizeof D[0])

static double d(unsigned long long u) { double x; memcpy(&x, &u, 8); return x; }
static unsigned long long db(double x) { unsigned long long u; memcpy(&u, &x, 8); return u; }
static float f(unsigned u) { float x; memcpy(&x, &u, 4); return x; }
static unsigned fb(float x) { unsigned u; memcpy(&u, &x, 4); return u; }

#define UN(name, T, conv, bits, fmt)                                                     \
    static void t_##name(T x) {                                                           \
        pre(); T r = name(x); printf(#name " %" fmt " -> %" fmt, bits(x), bits(r)); post(); \
    }
#define BIN(name, T, bits, fmt)                                                          \
    static void t_##name(T x, T y) {                                                      \
        pre(); T r = name(x, y);                                                          \
        printf(#name " %" fmt " %" fmt " -> %" fmt, bits(x), bits(y), bits(r)); post();   \
    }
#define FMT_D "016llx"
#define FMT_F "08x"
#define DFUNCS(X) X(fmaximum) X(fminimum) X(fmaximum_num) X(fminimum_num) X(fmaximum_mag) \
    X(fminimum_mag) X(fmaximum_mag_num) X(fminimum_mag_num) X(fmaxmag) X(fminmag)
#define DBIN(n) BIN(n, double, db, FMT_D) BIN(n##f, float, fb, FMT_F)
DFUNCS(DBIN)
UN(nextup, double, d, db, FMT_D) UN(nextupf, float, f, fb, FMT_F)
UN(nextdown, double, d, db, FMT_D) UN(nextdownf, float, f, fb, FMT_F)
UN(roundeven, double, d, db, FMT_D) UN(roundevenf, float, f, fb, FMT_F)

static void doubles(double x, double y) {
#define CALLD(n) t_##n(x, y);
    DFUNCS(CALLD)
    t_nextup(x); t_nextdown(x); t_roundeven(x);
    pre(); long l = llogb(x); printf("llogb %016llx -> %ld", db(x), l); post();
    pre(); printf("issig %016llx -> %d", db(x), issignaling(x)); post();
    pre(); printf("iseqsig %016llx %016llx -> %d", db(x), db(y), iseqsig(x, y)); post();
    pre(); printf("totalorder %016llx %016llx -> %d %d", db(x), db(y), totalorder(&x, &y), totalordermag(&x, &y)); post();
    double c; pre(); int rc = canonicalize(&c, &x); printf("canonicalize %016llx -> %d %016llx", db(x), rc, db(c)); post();
}
static void floats(float x, float y) {
#define CALLF(n) t_##n##f(x, y);
    DFUNCS(CALLF)
    t_nextupf(x); t_nextdownf(x); t_roundevenf(x);
    pre(); long l = llogbf(x); printf("llogbf %08x -> %ld", fb(x), l); post();
    pre(); printf("issigf %08x -> %d", fb(x), issignaling(x)); post();
    pre(); printf("iseqsigf %08x %08x -> %d", fb(x), fb(y), iseqsig(x, y)); post();
    pre(); printf("totalorderf %08x %08x -> %d %d", fb(x), fb(y), totalorderf(&x, &y), totalordermagf(&x, &y)); post();
    float c; pre(); int rc = canonicalizef(&c, &x); printf("canonicalizef %08x -> %d %08x", fb(x), rc, fb(c)); post();
}

int main(void) {
    for (unsigned i = 0; i < N; i++)
        for (unsigned j = 0; j < N; j++) {
            doubles(d(D[i]), d(D[j]));
            floats(f(F[i]), f(F[j]));
        }
    for (int i = 0; i < 2000; i++) {
        unsigned long long a = rnd(), b = rnd();
        doubles(d(a), d(i & 1 ? b : a ^ 0x8000000000000000ULL));
        floats(f((unsigned)a), f(i & 1 ? (unsigned)b : (unsigned)a ^ 0x80000000u));
        doubles(d(a >> (i % 64)), d(b >> 11));
    }
    return 0;
}
