/* Side by side with glibc: NaN payloads (getpayload, setpayload, setpayloadsig for float,
 * double and x86_64's long double) and the exact x87 long double functions
 * (polyfill/src/math_payload.c), on zeros, subnormals, boundaries, infinities, quiet and
 * signalling NaNs with payloads, integer and fractional payloads and pseudo-random bits.
 * Prints each result as hex bits with errno and the raised exceptions. Built on glibc
 * 2.36; patched to 2.17 it runs on polyfills. */
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static unsigned long long seed = 0xd1b54a32d192ed03ULL;
static unsigned long long rnd(void) {
    seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
    return seed;
}
#define ALL (FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INEXACT)
static int err, flags;
static void pre(void) { errno = 0; feclearexcept(FE_ALL_EXCEPT); }
static void post(void) { err = errno; flags = fetestexcept(ALL); }
static void end(void) { printf(" e%d f%x\n", err, flags); }

static double d(unsigned long long u) { double x; memcpy(&x, &u, 8); return x; }
static unsigned long long db(double x) { unsigned long long u; memcpy(&u, &x, 8); return u; }
static float f(unsigned u) { float x; memcpy(&x, &u, 4); return x; }
static unsigned fb(float x) { unsigned u; memcpy(&u, &x, 4); return u; }

static void doubles(double x) {
    double p, q; int r, s;
    pre(); p = getpayload(&x); post(); printf("getpayload %016llx -> %016llx", db(x), db(p)); end();
    p = 1.5; q = 1.5;
    pre(); r = setpayload(&p, x); s = setpayloadsig(&q, x); post();
    printf("setpayload %016llx -> %d %016llx %d %016llx", db(x), r, db(p), s, db(q)); end();
    _Float64 x64 = x;
    pre(); p = getpayloadf64(&x64); r = setpayloadf32x(&q, x); post();
    printf("f64 %016llx -> %016llx %d %016llx", db(x), db(p), r, db(q)); end();
}
static void floats(float x) {
    float p, q; int r, s;
    pre(); p = getpayloadf(&x); post(); printf("getpayloadf %08x -> %08x", fb(x), fb(p)); end();
    p = 1.5f; q = 1.5f;
    pre(); r = setpayloadf(&p, x); s = setpayloadsigf(&q, x); post();
    printf("setpayloadf %08x -> %d %08x %d %08x", fb(x), r, fb(p), s, fb(q)); end();
    _Float32 x32 = x;
    pre(); p = getpayloadf32(&x32); r = setpayloadsigf32(&q, x); post();
    printf("f32 %08x -> %08x %d %08x", fb(x), fb(p), r, fb(q)); end();
}

#if defined(__x86_64__)
static long double ld(unsigned short se, unsigned long long m) {
    long double x = 0; memcpy(&x, &m, 8); memcpy((char *)&x + 8, &se, 2); return x;
}
static void ldp(long double x) {
    unsigned long long m; unsigned short se;
    memcpy(&m, &x, 8); memcpy(&se, (char *)&x + 8, 2);
    printf(" %04x:%016llx", se, m);
}
#define LBIN(name)                                                                       \
    { pre(); long double r = name(x, y); post(); printf(#name); ldp(x); ldp(y); printf(" ->"); ldp(r); end(); }
static void ldoubles(long double x, long double y) {
    LBIN(fmaximuml) LBIN(fminimuml) LBIN(fmaximum_numl) LBIN(fminimum_numl)
    LBIN(fmaximum_magl) LBIN(fminimum_magl) LBIN(fmaximum_mag_numl) LBIN(fminimum_mag_numl)
    LBIN(fmaxmagl) LBIN(fminmagl) LBIN(fmaximumf64x) LBIN(fminmagf64x)
    long double r, c = 7;
    pre(); r = nextupl(x); post(); printf("nextupl"); ldp(x); printf(" ->"); ldp(r); end();
    pre(); r = nextdownl(x); post(); printf("nextdownl"); ldp(x); printf(" ->"); ldp(r); end();
    pre(); r = roundevenl(x); post(); printf("roundevenl"); ldp(x); printf(" ->"); ldp(r); end();
    pre(); long l = llogbl(x); post(); printf("llogbl"); ldp(x); printf(" -> %ld", l); end();
    pre(); int i = issignaling(x); post(); printf("issignalingl"); ldp(x); printf(" -> %d", i); end();
    pre(); i = iscanonical(x); post(); printf("iscanonicall"); ldp(x); printf(" -> %d", i); end();
    pre(); i = iseqsig(x, y); post(); printf("iseqsigl"); ldp(x); ldp(y); printf(" -> %d", i); end();
    pre(); i = totalorderl(&x, &y); int j = totalordermagl(&x, &y); post();
    printf("totalorderl"); ldp(x); ldp(y); printf(" -> %d %d", i, j); end();
    pre(); i = canonicalizel(&c, &x); post(); printf("canonicalizel"); ldp(x); printf(" -> %d", i); ldp(c); end();
    pre(); r = getpayloadl(&x); post(); printf("getpayloadl"); ldp(x); printf(" ->"); ldp(r); end();
    long double p = 1.5, q = 1.5;
    pre(); i = setpayloadl(&p, x); j = setpayloadsigl(&q, x); post();
    printf("setpayloadl"); ldp(x); printf(" -> %d", i); ldp(p); printf(" %d", j); ldp(q); end();
    pre(); r = nextupf64x(x); l = llogbf64x(x); i = totalorderf64x(&x, &y); post();
    printf("f64x"); ldp(r); printf(" %ld %d", l, i); end();
}
#endif

int main(void) {
    static const unsigned long long D[] = {
        0, 0x8000000000000000, 1, 0x000fffffffffffff, 0x0010000000000000, 0x3fe0000000000000,
        0x3ff0000000000000, 0x3ff8000000000000, 0x4000000000000000, 0x4008000000000000,
        0x4330000000000000, 0x4330000000000001, 0x432fffffffffffff, 0x4320000000000001,
        0x4310000000000001, 0x433fffffffffffff, 0x4340000000000000, 0xbff0000000000000,
        0x7fefffffffffffff, 0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000000,
        0xfff8000000000123, 0x7ff4000000000001, 0x7ff0000000000005, 0x7ffc000000000000,
        0x7ff7ffffffffffff, 0x4142000000000000, 0x4150000000000000, 0x414fffffffffffff,
    };
    static const unsigned F[] = {
        0, 0x80000000, 1, 0x007fffff, 0x00800000, 0x3f000000, 0x3f800000, 0x3fc00000,
        0x40000000, 0x4b000000, 0x4b000001, 0x4affffff, 0x4a800001, 0x4a000001, 0x4b7fffff,
        0x4b800000, 0xbf800000, 0x7f7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00123,
        0x7fa00001, 0x7f800005, 0x7fe00000, 0x7fbfffff, 0x49800000, 0x4a7fffff,
    };
    for (unsigned i = 0; i < sizeof D / sizeof D[0]; i++) doubles(d(D[i]));
    for (unsigned i = 0; i < sizeof F / sizeof F[0]; i++) floats(f(F[i]));
    for (int i = 0; i < 3000; i++) {
        unsigned long long r = rnd();
        doubles(d(r));
        doubles((double)(r >> (r % 64)));
        doubles(d(0x7ff0000000000000 | (r & 0x800fffffffffffff)));
        floats(f((unsigned)r));
        floats((float)(unsigned)(r >> (r % 64)));
        floats(f(0x7f800000 | ((unsigned)r & 0x807fffff)));
    }
#if defined(__x86_64__)
    static const struct { unsigned short se; unsigned long long m; } L[] = {
        {0, 0}, {0x8000, 0}, {0, 1}, {0x8000, 1}, {0, 0x7fffffffffffffff}, {0x0001, 0x8000000000000000},
        {0x8001, 0x8000000000000000}, {0x3ffe, 0x8000000000000000}, {0x3ffe, 0xc000000000000000},
        {0x3ffe, 0x8000000000000001}, {0x3fff, 0x8000000000000000}, {0xbfff, 0x8000000000000000},
        {0x3fff, 0xc000000000000000}, {0x4000, 0xa000000000000000}, {0x4000, 0xe000000000000000},
        {0x403e, 0xffffffffffffffff}, {0x403d, 0xffffffffffffffff}, {0x403d, 0xfffffffffffffffe},
        {0x403c, 0xfffffffffffffffd}, {0x4030, 0xffffffffffff8000}, {0x403e, 0x8000000000000001},
        {0x7ffe, 0xffffffffffffffff}, {0xfffe, 0xffffffffffffffff}, {0x7fff, 0x8000000000000000},
        {0xffff, 0x8000000000000000}, {0x7fff, 0xc000000000000000}, {0xffff, 0xc000000000012300},
        {0x7fff, 0xa000000000000001}, {0x7fff, 0x8000000000000001}, {0x7fff, 0xffffffffffffffff},
        {0x7fff, 0xbfffffffffffffff}, {0x403c, 0x8000000000000000}, {0x403b, 0xc000000000000000},
        {0x4033, 0xa000000000000000}, {0x0001, 0xffffffffffffffff},
    };
    unsigned n = sizeof L / sizeof L[0];
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < n; j++)
            ldoubles(ld(L[i].se, L[i].m), ld(L[j].se, L[j].m));
    for (int i = 0; i < 2000; i++) {
        unsigned long long r = rnd(), m = rnd() | 1ULL << 63, s = rnd() | 1ULL << 63;
        unsigned short e = (unsigned short)(((r >> 16) & 1 ? 0x8000 : 0) |
                                            ((r & 3) == 0 ? 0x7fff : 0x3ff0 + (int)((r >> 2) % 100)));
        ldoubles(ld(e, m), ld((unsigned short)(e ^ (r >> 20 & 0x8001)), (r >> 30) & 1 ? m : s));
        ldoubles(ldexpl((long double)(r >> (r % 64)), 0), ld(e, s));
    }
#endif
    return 0;
}
