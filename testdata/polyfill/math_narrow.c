/* Side by side with glibc: the narrowing operations (polyfill/src/math_narrow.c) in all
 * four rounding modes, on signed zeros, subnormal and overflowing results, exact halfway
 * cases and their neighbours (where a second rounding would go wrong), infinities, quiet
 * and signalling NaNs with payloads and pseudo-random operands. Prints each result as hex
 * bits with errno and the raised exceptions. Built on glibc 2.36; patched to 2.17 it runs
 * on polyfills. */
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static unsigned long long seed = 0x2545f4914f6cdd1dULL;
static unsigned long long rnd(void) {
    seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
    return seed;
}
static const int MODES[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
#define ALL (FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INEXACT)
static int err, flags;
static void pre(void) { errno = 0; feclearexcept(FE_ALL_EXCEPT); }
static void post(void) { err = errno; flags = fetestexcept(ALL); }
static void end(void) { printf(" e%d f%x\n", err, flags); }

static double d(unsigned long long u) { double x; memcpy(&x, &u, 8); return x; }
static unsigned long long db(double x) { unsigned long long u; memcpy(&u, &x, 8); return u; }
static unsigned fb(float x) { unsigned u; memcpy(&u, &x, 4); return u; }

static const unsigned long long D[] = {
    0, 0x8000000000000000, 1, 0x8000000000000001, 0x000fffffffffffff, 0x0010000000000000,
    0x3ff0000000000000, 0xbff0000000000000, 0x3ff0000010000000, 0x3ff0000010000001,
    0x3ff000000fffffff, 0x3ff0000030000000, 0x3e70000000000000, 0x3c90000000000000,
    0x47efffffe0000000, 0x47efffffefffffff, 0x47effffff0000000, 0xc7effffff0000000,
    0x36a0000000000000, 0x3690000000000000, 0x36a8000000000000, 0xb698000000000000,
    0x3810000000000000, 0x380fffffffffffff, 0x4000000000000000, 0x3fd5555555555555,
    0x7fefffffffffffff, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
    0xfff8000000000123, 0x7ff4000000000001, 0x7ff0000000001000, 0xc01c000000000000,
};
#define ND (sizeof D / sizeof D[0])

static void doubles(double x, double y, double z) {
    for (int m = 0; m < 4; m++) {
        fesetround(MODES[m]);
#define F2(name)                                                                         \
        { pre(); float r = name(x, y); post();                                           \
          printf(#name " %d %016llx %016llx -> %08x", m, db(x), db(y), fb(r)); end(); }
#define D2(name)                                                                         \
        { pre(); double r = name(x, y); post();                                          \
          printf(#name " %d %016llx %016llx -> %016llx", m, db(x), db(y), db(r)); end(); }
        F2(fadd) F2(fsub) F2(fmul) F2(fdiv)
        D2(f32xaddf64) D2(f32xsubf64) D2(f32xmulf64) D2(f32xdivf64)
        { pre(); float r = ffma(x, y, z); post();
          printf("ffma %d %016llx %016llx %016llx -> %08x", m, db(x), db(y), db(z), fb(r)); end(); }
        { pre(); double r = f32xfmaf64(x, y, z); post();
          printf("f32xfmaf64 %d %016llx %016llx %016llx -> %016llx", m, db(x), db(y), db(z), db(r)); end(); }
        { pre(); float r = fsqrt(x); post(); printf("fsqrt %d %016llx -> %08x", m, db(x), fb(r)); end(); }
        { pre(); double r = f32xsqrtf64(x); post(); printf("f32xsqrtf64 %d %016llx -> %016llx", m, db(x), db(r)); end(); }
        /* The _FloatN names are the same functions. */
        { pre(); float r = f32addf64(x, y); float s = f32mulf32x(x, y); float t = f32sqrtf64(x); post();
          printf("f32*f64 %d %08x %08x %08x", m, fb(r), fb(s), fb(t)); end(); }
    }
    fesetround(FE_TONEAREST);
}

/* A random double near float ties: a float-precision value plus half its float ulp,
 * possibly nudged, at exponents across float's subnormal, normal and overflow ranges. */
static double near_tie(int *e) {
    unsigned long long r = rnd();
    int ex = (int)(r % 300) - 160;
    *e = ex;
    double base = ldexp((double)(((r >> 9) & 0xffffff) | 0x800000), ex - 23);
    double half = ldexp(1.0, (ex < -126 ? -149 : ex - 23) - 1);
    double v = base + half;
    switch ((r >> 40) & 3) {
    case 0: v = nextafter(v, 0); break;
    case 1: v = nextafter(v, INFINITY); break;
    }
    return (r >> 50) & 1 ? -v : v;
}

#if defined(__x86_64__)
typedef struct { unsigned long long m; unsigned short se; } ld_bits;
static long double ld(unsigned short se, unsigned long long m) {
    long double x = 0; memcpy(&x, &m, 8); memcpy((char *)&x + 8, &se, 2); return x;
}
static void ldp(const char *name, long double x) {
    unsigned long long m; unsigned short se;
    memcpy(&m, &x, 8); memcpy(&se, (char *)&x + 8, 2);
    printf(" %s%04x:%016llx", name, se, m);
}
static long double LD[40];
static int NLD;
static void ld_init(void) {
    static const struct { unsigned short se; unsigned long long m; } v[] = {
        {0, 0}, {0x8000, 0}, {0, 1}, {0x8000, 1}, {0x0001, 0x8000000000000000},
        {0x3fff, 0x8000000000000000}, {0xbfff, 0x8000000000000000},
        {0x3fff, 0x8000000000000400}, {0x3fff, 0x8000000000000401}, {0x3fff, 0x80000000000003ff},
        {0x3fff, 0x8000008000000000}, {0x3fff, 0x8000008000000001}, {0x3fff, 0xc000000000000c00},
        {0x43fe, 0xfffffffffffff800}, {0x43fe, 0xfffffffffffffbff}, {0xc3fe, 0xfffffffffffffc00},
        {0x407e, 0xffffff8000000000}, {0x407e, 0xffffff7fffffffff},
        {0x3bcd, 0x8000000000000000}, {0x3bcc, 0x8000000000000000}, {0x3bcd, 0xc000000000000000},
        {0x3c00, 0x8000000000000000}, {0x3bff, 0xffffffffffffffff}, {0x3f6a, 0x8000000000000000},
        {0x3f69, 0xc000000000000000}, {0x7ffe, 0xffffffffffffffff}, {0x7fff, 0x8000000000000000},
        {0xffff, 0x8000000000000000}, {0x7fff, 0xc000000000000000}, {0xffff, 0xc000000000012300},
        {0x7fff, 0xa000000000000001}, {0x4000, 0xaaaaaaaaaaaaaaab}, {0xc001, 0xe000000000000000},
    };
    NLD = sizeof v / sizeof v[0];
    for (int i = 0; i < NLD; i++) LD[i] = ld(v[i].se, v[i].m);
}
static void ldoubles(long double x, long double y, long double z) {
    for (int m = 0; m < 4; m++) {
        fesetround(MODES[m]);
#define L2(name, T, bits, fmt)                                                             \
        { pre(); T r = name(x, y); post(); printf(#name " %d", m); ldp("", x); ldp("", y); \
          printf(" -> %" fmt, bits(r)); end(); }
        L2(faddl, float, fb, "08x") L2(fsubl, float, fb, "08x") L2(fmull, float, fb, "08x")
        L2(fdivl, float, fb, "08x") L2(daddl, double, db, "016llx") L2(dsubl, double, db, "016llx")
        L2(dmull, double, db, "016llx") L2(ddivl, double, db, "016llx")
        { pre(); float r = ffmal(x, y, z); post(); printf("ffmal %d", m); ldp("", x); ldp("", y);
          ldp("", z); printf(" -> %08x", fb(r)); end(); }
        { pre(); double r = dfmal(x, y, z); post(); printf("dfmal %d", m); ldp("", x); ldp("", y);
          ldp("", z); printf(" -> %016llx", db(r)); end(); }
        { pre(); float r = fsqrtl(x); post(); printf("fsqrtl %d", m); ldp("", x); printf(" -> %08x", fb(r)); end(); }
        { pre(); double r = dsqrtl(x); post(); printf("dsqrtl %d", m); ldp("", x); printf(" -> %016llx", db(r)); end(); }
        { pre(); float r = f32addf64x(x, y); double s = f64mulf64x(x, y); double t = f32xsqrtf64x(x); post();
          printf("f*f64x %d %08x %016llx %016llx", m, fb(r), db(s), db(t)); end(); }
    }
    fesetround(FE_TONEAREST);
}
#endif

int main(void) {
    for (unsigned i = 0; i < ND; i++)
        for (unsigned j = 0; j < ND; j++)
            doubles(d(D[i]), d(D[j]), d(D[(i + j) % ND]));
    for (int i = 0; i < 1500; i++) {
        int e;
        double x = near_tie(&e);
        unsigned long long r = rnd();
        /* a tie-making second operand, a product or quotient near a tie, or random bits */
        double y = (r & 3) == 0 ? ldexp(1.0, e - 24 - (int)(r >> 8) % 3)
                 : (r & 3) == 1 ? 1.0 + ldexp((double)(r >> 40), -52)
                 : (r & 3) == 2 ? -x * ldexp(1.0, -30)
                                : d(rnd());
        doubles(x, y, ldexp(x, -25));
    }
#if defined(__x86_64__)
    ld_init();
    for (int i = 0; i < NLD; i++)
        for (int j = 0; j < NLD; j++)
            ldoubles(LD[i], LD[j], LD[(i + j) % NLD]);
    for (int i = 0; i < 1500; i++) {
        unsigned long long r = rnd(), s = rnd();
        int ex = (int)(r % 2300) - 1150;
        /* ties of double (11 extra bits) and of float (40 extra bits), nudged */
        unsigned long long m = (s | 0x8000000000000000ULL) & ((r >> 20) & 1 ? ~0x7ffULL : ~0xffffffffffULL);
        m |= (r >> 20) & 1 ? 0x400 : 0x8000000000;
        if ((r >> 30) & 1) m += (r >> 31) & 1 ? 1 : -1;
        long double x = ldexpl((long double)m, ex - 63);
        long double y = (r >> 33) & 1 ? ldexpl(1.0L, ex - 70) : ldexpl((long double)(rnd() | 1ULL << 63), ex - 63 - (int)(r >> 40) % 5);
        ldoubles((r >> 34) & 1 ? -x : x, y, ldexpl(x, -66));
    }
#endif
    return 0;
}
