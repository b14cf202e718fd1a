/* Side by side with glibc 2.41: the C23 functions of glibc 2.40 and 2.41 that
 * polyfill/src/math_c23.c supplies (exp2m1, exp10m1, log2p1, log10p1, logp1, sinpi, cospi,
 * tanpi, asinpi, acospi, atanpi, atan2pi), for float, double and (x86_64) long double,
 * through the base names and the _FloatN aliases. Inputs: signed zeros, subnormals,
 * integers, half- and quarter-integers, domain bounds, poles, overflow and underflow
 * thresholds, infinities, NaNs, and pseudo-random values over each function's exponent
 * range. Each line: "name args -> result errno flags", every number as hex bits; the test
 * (tests/polyfill_c23.rs) compares the lines of glibc's run with the polyfills'. Built
 * against trixie's libm (glibc 2.41): the host's headers do not declare these, so this
 * file does. */
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define UNARY(X, n) X float n##f(float); X double n(double); X float n##f32(float);           \
    X double n##f64(double); X double n##f32x(double); LDECL(X, n)
#if defined(__x86_64__)
#define LDECL(X, n) X long double n##l(long double); X long double n##f64x(long double);
#else
#define LDECL(X, n)
#endif
#define EACH1(X) X(sinpi) X(cospi) X(tanpi) X(asinpi) X(acospi) X(atanpi) X(exp2m1) X(exp10m1) \
    X(log2p1) X(log10p1) X(logp1)
#define DECL1(n) UNARY(extern, n)
EACH1(DECL1)
extern float atan2pif(float, float);
extern double atan2pi(double, double);
extern float atan2pif32(float, float);
extern double atan2pif64(double, double);
extern double atan2pif32x(double, double);
#if defined(__x86_64__)
extern long double atan2pil(long double, long double);
extern long double atan2pif64x(long double, long double);
#else
/* aarch64's binary128 long double: only logp1 is polyfilled */
extern long double logp1l(long double), logp1f64x(long double), logp1f128(long double);
static void pq(long double x) {
    unsigned long long u[2]; memcpy(u, &x, 16); printf(" %016llx%016llx", u[1], u[0]);
}
#endif

static unsigned long long seed = 0x2545f4914f6cdd1dULL;
static unsigned long long rnd(void) {
    seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
    return seed;
}
static void pre(void) { errno = 0; feclearexcept(FE_ALL_EXCEPT); }
static void post(void) {
    printf(" e%d f%x\n", errno,
           fetestexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW));
}
static void pf(float x) { unsigned u; memcpy(&u, &x, 4); printf(" %08x", u); }
static void pd(double x) { unsigned long long u; memcpy(&u, &x, 8); printf(" %016llx", u); }
#if defined(__x86_64__)
static void pl(long double x) {
    unsigned long long m; unsigned short se;
    memcpy(&m, &x, 8); memcpy(&se, (char *)&x + 8, 2);
    printf(" %04x%016llx", se, m);
}
#endif

/* A value of random sign (sign < 0: negative, > 0: positive, 0: either) and random
 * significand with a binary exponent in [emin, emax]. */
static double gen(int emin, int emax, int sign) {
    double m = 1 + (double)(rnd() >> 11) * 0x1p-53;
    int e = emin + (int)(rnd() % (unsigned)(emax - emin + 1));
    double v = ldexp(m, e);
    return sign < 0 || (sign == 0 && (rnd() & 1)) ? -v : v;
}
#if defined(__x86_64__)
static long double genl(int emin, int emax, int sign) {
    long double v = gen(emin, emax, sign);
    return v + v * (long double)(rnd() >> 53) * 0x1p-64L; /* the bits below double's */
}
#endif

/* One call and its line, for one type. */
#define CALL1(T, P, name, x) do { T x_ = (x); pre(); T r_ = name(x_); printf(#name); P(x_); \
        printf(" ->"); P(r_); post(); } while (0)
#define CALL2(T, P, name, y, x) do { T y_ = (y), x_ = (x); pre(); T r_ = name(y_, x_);       \
        printf(#name); P(y_); P(x_); printf(" ->"); P(r_); post(); } while (0)

static const double SPECIAL[] = {
    0.0, -0.0, 0x1p-1074, -0x1p-1074, 0x1p-149, -0x1p-149, 0x1p-126, 0x1p-1022, 0x1p-1060,
    0x1p-60, -0x1p-30, 0x1p-24, 0x1p-53, 0.125, -0.125, 0.25, -0.25, 0.375, 0.5, -0.5, 0.75,
    -0.75, 1.0, -1.0, 1.25, 1.5, -1.5, 2.0, -2.0, 2.5, -2.5, 3.0, -3.0, 3.5, -3.5, 4.0,
    0x1.8p23, 0x1p23 + 0.5, 0x1p24, 0x1p24 + 2, 0x1p52 + 0.5, 0x1p52 + 1, 0x1p53, 0x1p53 + 2,
    -0x1p53, 0x1p63 + 0x1p11, 0x1p64, 1e300, -1e300, 0x1p-1, 0.9999999, -0.9999999,
    1.0000001, 26.0, 27.0, 55.0, 56.0, 65.0, 66.0, 10.0, 20.0, 21.0, 127.0, 128.0, 129.0,
    -149.0, -150.0, 1023.0, 1024.0, 1025.0, -1074.0, -1075.0, 16383.0, 16384.0, -16445.0,
    38.0, 39.0, 308.0, 309.0, 4931.0, 4933.0, -45.0, -46.0, -323.0, -324.0, -4950.0, -1e9,
    1e9, 0x1.fffffep127, 0x1.fffffffffffffp1023, -0x1.fffffffffffffp1023, INFINITY,
    -INFINITY, NAN, -NAN,
};
#define NSPECIAL (sizeof SPECIAL / sizeof SPECIAL[0])

/* Every function of one type T (suffix S, printer P) at x. */
#define ALL1(T, P, S, F32, x)                                                             \
    CALL1(T, P, sinpi##S, x); CALL1(T, P, cospi##S, x); CALL1(T, P, tanpi##S, x);         \
    CALL1(T, P, asinpi##S, x); CALL1(T, P, acospi##S, x); CALL1(T, P, atanpi##S, x);      \
    CALL1(T, P, exp2m1##S, x); CALL1(T, P, exp10m1##S, x); CALL1(T, P, log2p1##S, x);     \
    CALL1(T, P, log10p1##S, x); CALL1(T, P, logp1##S, x)

static float sig_f(void) { unsigned u = 0x7fa00001; float x; memcpy(&x, &u, 4); return x; }
static double sig_d(void) {
    unsigned long long u = 0x7ff4000000000001ULL; double x; memcpy(&x, &u, 8); return x;
}

/* pseudo-random arguments for each function's interesting range, by kind */
static double arg(int kind, int i) {
    switch (kind) {
    case 0: return gen(-3, 1, 0);                           /* |x| < 4: the pi functions */
    case 1: return (double)(long long)(gen(0, 20, 0)) * 0.25; /* multiples of 1/4 */
    case 2: return gen(-1074, 1023, 0);                     /* every scale */
    case 3: return gen(-8, -1, 0) * ((i & 1) ? 1 : 1.9);    /* |x| < 1 and a bit above */
    case 4: return gen(-60, 10, 0);                         /* exp*m1 and log*p1 */
    default: return gen(-1, 0, -1);                         /* (-2, -0.5]: log*p1 near -1 */
    }
}

int main(void) {
    const int n = 600;
    for (unsigned i = 0; i < NSPECIAL; i++) {
        double x = SPECIAL[i];
        ALL1(float, pf, f, f32, (float)x);
        ALL1(double, pd, , , x);
#if defined(__x86_64__)
        ALL1(long double, pl, l, , (long double)x);
#else
        CALL1(long double, pq, logp1l, (long double)x);
#endif
        for (unsigned j = 0; j < NSPECIAL; j += 7) {
            CALL2(float, pf, atan2pif, (float)x, (float)SPECIAL[j]);
            CALL2(double, pd, atan2pi, x, SPECIAL[j]);
#if defined(__x86_64__)
            CALL2(long double, pl, atan2pil, (long double)x, (long double)SPECIAL[j]);
#endif
        }
    }
    /* signalling NaNs and the aliases */
    ALL1(float, pf, f, f32, sig_f());
    ALL1(double, pd, , , sig_d());
    CALL1(float, pf, sinpif32, 0.25f); CALL1(double, pd, cospif64, 0.25);
    CALL1(double, pd, tanpif32x, 0.125); CALL1(float, pf, exp2m1f32, 0.5f);
    CALL1(double, pd, exp10m1f64, 0.5); CALL1(double, pd, log2p1f32x, 0.5);
    CALL1(float, pf, log10p1f32, 0.5f); CALL1(double, pd, logp1f64, 0.5);
    CALL1(float, pf, asinpif32, 0.5f); CALL1(double, pd, acospif64, 0.5);
    CALL1(double, pd, atanpif32x, 0.5); CALL2(float, pf, atan2pif32, 1.0f, 2.0f);
    CALL2(double, pd, atan2pif64, 1.0, 2.0); CALL2(double, pd, atan2pif32x, 1.0, 3.0);
#if defined(__x86_64__)
    CALL1(long double, pl, sinpif64x, 0.25L); CALL1(long double, pl, cospif64x, 0.125L);
    CALL1(long double, pl, tanpif64x, 0.125L); CALL1(long double, pl, asinpif64x, 0.5L);
    CALL1(long double, pl, acospif64x, 0.5L); CALL1(long double, pl, atanpif64x, 0.5L);
    CALL2(long double, pl, atan2pif64x, 1.0L, 3.0L); CALL1(long double, pl, exp2m1f64x, 0.5L);
    CALL1(long double, pl, exp10m1f64x, 0.5L); CALL1(long double, pl, log2p1f64x, 0.5L);
    CALL1(long double, pl, log10p1f64x, 0.5L); CALL1(long double, pl, logp1f64x, 0.5L);
#else
    CALL1(long double, pq, logp1f64x, 0.5L); CALL1(long double, pq, logp1f128, -0.25L);
#endif
    for (int kind = 0; kind < 6; kind++)
        for (int i = 0; i < n; i++) {
            double x = arg(kind, i);
            ALL1(float, pf, f, f32, (float)x);
            ALL1(double, pd, , , x);
#if defined(__x86_64__)
            long double xl = kind == 1 ? (long double)x
                             : kind == 2 ? genl(-16440, 16383, 0)
                                         : (long double)x + x * (long double)(rnd() >> 53) * 0x1p-64L;
            ALL1(long double, pl, l, , xl);
#else
            CALL1(long double, pq, logp1l, (long double)x + x * (long double)(rnd() >> 11) * 0x1p-110L);
#endif
        }
    for (int i = 0; i < 4 * n; i++) {
        double y = gen(-20, 20, 0), x = (i & 3) == 0 ? gen(-1074, 1023, 0) : gen(-20, 20, 0);
        CALL2(float, pf, atan2pif, (float)y, (float)x);
        CALL2(double, pd, atan2pi, y, x);
#if defined(__x86_64__)
        CALL2(long double, pl, atan2pil, (long double)y, (long double)x);
#endif
    }
    return 0;
}
