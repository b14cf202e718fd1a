/* Side by side with glibc: the binary128 libm functions (polyfill/src/math_quad.c):
 * x86_64's _Float128 (*f128, __*f128) and aarch64's long double (*l, with the *f64x and
 * *f128 names as aliases), on signed zeros, subnormals, boundaries, infinities, quiet and
 * signalling NaNs with payloads and pseudo-random bits, the rounding ones in all four
 * rounding modes. Prints each result as hex bits with errno and the raised exceptions.
 * Built on glibc 2.36; patched to 2.17 it runs on polyfills. */
#define _GNU_SOURCE
#include <complex.h>
#include <errno.h>
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
typedef _Float128 Q;
#define F(name) name##f128
#define NARROW(name) name##f128
extern int __isinff128(Q), __isnanf128(Q), __finitef128(Q), __fpclassifyf128(Q);
extern int __signbitf128(Q), __issignalingf128(Q), __iseqsigf128(Q, Q);
#define ISSIG __issignalingf128
#define ISEQSIG __iseqsigf128
typedef long double F64X;
#define CQ _Complex _Float128
#else
typedef long double Q;
#define F(name) name##l
#define NARROW(name) name##f128
#define CQ _Complex long double
#define ISSIG __issignalingl
#define ISEQSIG __iseqsigl
extern int __issignalingl(Q), __iseqsigl(Q, Q);
typedef long double F64X;
#endif
typedef unsigned long long u64;
typedef unsigned __int128 u128;

static u64 seed = 0x9e3779b97f4a7c15ULL;
static u64 rnd(void) {
    seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
    return seed;
}
static void pre(void) { errno = 0; feclearexcept(FE_ALL_EXCEPT); }
static void post(void) {
    printf(" e%d f%x\n", errno, fetestexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW | FE_INEXACT));
}

static Q q(u64 hi, u64 lo) { u128 u = (u128)hi << 64 | lo; Q x; memcpy(&x, &u, 16); return x; }
static u128 qb(Q x) { u128 u; memcpy(&u, &x, 16); return u; }
#define QF "%016llx%016llx"
#define QA(x) (u64)(qb(x) >> 64), (u64)qb(x)

static const u64 V[][2] = {
    {0, 0}, {0x8000000000000000, 0}, {0, 1}, {0x8000000000000000, 1},
    {0x0000ffffffffffff, 0xffffffffffffffff}, {0x0001000000000000, 0},
    {0x3ffe000000000000, 0}, {0xbffe000000000000, 0}, {0x3ffe000000000000, 1},
    {0x3ffdffffffffffff, 0xffffffffffffffff}, {0x3fff000000000000, 0},
    {0x3fff800000000000, 0}, {0xc000400000000000, 0}, {0x4000600000000000, 0},
    {0x406f000000000000, 1}, {0x406effffffffffff, 0xffffffffffffffff},
    {0x4070000000000000, 0}, {0x7ffeffffffffffff, 0xffffffffffffffff},
    {0xfffeffffffffffff, 0xffffffffffffffff}, {0x7fff000000000000, 0},
    {0xffff000000000000, 0}, {0x7fff800000000000, 0}, {0xffff800000000000, 0x123},
    {0x7fff400000000000, 1}, {0xffff000000000000, 5}, {0x4000000000000000, 0},
    {0x403e000000000000, 0}, {0xc03e000000000000, 0}, {0xc03e000000000000, 0x0001000000000000},
    {0x403dffffffffffff, 0xffff000000000000}, {0xc03dffffffffffff, 0xfffe000000000000},
    {0x401e000000000000, 0}, {0xc01dffffffffffff, 0xffffffffffffffff},
    {0x3c00000000000000, 0}, {0x43ff000000000000, 0}, {0x3fff000000000000, 1},
    {0x7fffffffffffffff, 0xffffffffffffffff}, {0x7fff7fffffffffff, 0xffffffffffffffff},
    /* just below the smallest normal double and float: rounding reaches it */
    {0x3c00ffffffffffff, 0xffffffffffffffff}, {0x3f80ffffffffffff, 0xfffffff000000000},
    {0x43feffffffffffff, 0xfff0000000000000},
};
#define NV (sizeof V / sizeof V[0])
static const int MODES[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
static const long EXPS[] = {0, 1, -1, 112, -16494, 16383, -16383, 32767, -40000, 40000};

#define UN(name) static void t_##name(Q x) { pre(); Q r = F(name)(x); printf(#name " " QF " -> " QF, QA(x), QA(r)); post(); }
#define BIN(name) static void t_##name(Q x, Q y) { pre(); Q r = F(name)(x, y); printf(#name " " QF " " QF " -> " QF, QA(x), QA(y), QA(r)); post(); }
#define TOI(name) static void t_##name(Q x) { pre(); long long r = F(name)(x); printf(#name " " QF " -> %lld", QA(x), r); post(); }
#define UNS(X) X(fabs) X(ceil) X(floor) X(trunc) X(round) X(roundeven) X(nextup) X(nextdown) X(logb)
#define ROUNDED(X) X(rint) X(nearbyint) X(sqrt)
#define BINS(X) X(copysign) X(fmax) X(fmin) X(fmaxmag) X(fminmag) X(fmaximum) X(fminimum) \
    X(fmaximum_num) X(fminimum_num) X(fmaximum_mag) X(fminimum_mag) X(fmaximum_mag_num) \
    X(fminimum_mag_num) X(nextafter) X(fmod) X(remainder)
#define RBINS(X) X(fdim)
#define TOIS(X) X(ilogb) X(llogb) X(lround) X(llround)
#define RTOIS(X) X(lrint) X(llrint)
UNS(UN) ROUNDED(UN) BINS(BIN) RBINS(BIN) TOIS(TOI) RTOIS(TOI)

/* Narrowing: binary128 operands, float/double/_Float64x results. */
#define NAR2(X) X(f32add, float) X(f32sub, float) X(f32mul, float) X(f32div, float) \
    X(f64add, double) X(f64sub, double) X(f64mul, double) X(f64div, double) \
    X(f32xadd, double) X(f32xsub, double) X(f32xmul, double) X(f32xdiv, double) \
    X(f64xadd, F64X) X(f64xsub, F64X) X(f64xmul, F64X) X(f64xdiv, F64X)
#define PR(T, r) do { unsigned char b[sizeof(T)]; T v = r; memcpy(b, &v, sizeof b); \
    for (int i = (int)(sizeof(T) == 16 && sizeof(long double) == 16 && LDBL_X87 ? 10 : sizeof(T)) - 1; i >= 0; i--) printf("%02x", b[i]); } while (0)
#if defined(__x86_64__)
#define LDBL_X87 1
#else
#define LDBL_X87 0
#endif
#define T_NAR2(name, T) static void t_##name(Q x, Q y) { pre(); T r = NARROW(name)(x, y); printf(#name " " QF " " QF " -> ", QA(x), QA(y)); PR(T, r); post(); }
NAR2(T_NAR2)
#define NAR1(X) X(f32sqrt, float) X(f64sqrt, double) X(f32xsqrt, double) X(f64xsqrt, F64X)
#define T_NAR1(name, T) static void t_##name(Q x) { pre(); T r = NARROW(name)(x); printf(#name " " QF " -> ", QA(x)); PR(T, r); post(); }
NAR1(T_NAR1)
#define NAR3(X) X(f32fma, float) X(f64fma, double) X(f32xfma, double) X(f64xfma, F64X)
#define T_NAR3(name, T) static void t_##name(Q x, Q y, Q z) { pre(); T r = NARROW(name)(x, y, z); printf(#name " " QF " " QF " " QF " -> ", QA(x), QA(y), QA(z)); PR(T, r); post(); }
NAR3(T_NAR3)

static void t_fma(Q x, Q y, Q z) {
    pre(); Q r = F(fma)(x, y, z);
    printf("fma " QF " " QF " " QF " -> " QF, QA(x), QA(y), QA(z), QA(r)); post();
}

static void exact(Q x, Q y) {
#define CALL1(n, ...) t_##n(x);
#define CALL2(n, ...) t_##n(x, y);
    UNS(CALL1) TOIS(CALL1) BINS(CALL2)
    int e; Q r;
    pre(); r = F(frexp)(x, &e); printf("frexp " QF " -> " QF " %d", QA(x), QA(r), e); post();
    Q ip; pre(); r = F(modf)(x, &ip); printf("modf " QF " -> " QF " " QF, QA(x), QA(r), QA(ip)); post();
    pre(); int rq = 0x55; r = F(remquo)(x, y, &rq); printf("remquo " QF " " QF " -> " QF " %d", QA(x), QA(y), QA(r), rq); post();
    pre(); printf("totalorder " QF " " QF " -> %d %d", QA(x), QA(y), F(totalorder)(&x, &y), F(totalordermag)(&x, &y)); post();
    pre(); int rc = F(canonicalize)(&r, &x); printf("canonicalize " QF " -> %d " QF, QA(x), rc, QA(r)); post();
    pre(); r = F(getpayload)(&x); printf("getpayload " QF " -> " QF, QA(x), QA(r)); post();
    pre(); rc = F(setpayload)(&r, x); printf("setpayload " QF " -> %d " QF, QA(x), rc, QA(r)); post();
    pre(); rc = F(setpayloadsig)(&r, x); printf("setpayloadsig " QF " -> %d " QF, QA(x), rc, QA(r)); post();
    pre(); printf("issig " QF " -> %d", QA(x), ISSIG(x)); post();
    pre(); printf("iseqsig " QF " " QF " -> %d", QA(x), QA(y), ISEQSIG(x, y)); post();
#if defined(__x86_64__)
    pre(); printf("class " QF " -> %d %d %d %d %d", QA(x), __isinff128(x), __isnanf128(x),
                  __finitef128(x), __fpclassifyf128(x), __signbitf128(x) != 0); post();
#endif
    CQ z = x + 0;
    __imag__ z = y; __real__ z = x;
    pre(); CQ c = F(conj)(z); Q re = F(creal)(z), im = F(cimag)(z);
    printf("complex " QF " " QF " -> " QF " " QF " " QF " " QF, QA(x), QA(y), QA(re), QA(im),
           QA(__real__ c), QA(__imag__ c)); post();
    pre(); c = F(cproj)(z); printf("cproj " QF " " QF " -> " QF " " QF, QA(x), QA(y), QA(__real__ c), QA(__imag__ c)); post();
    for (unsigned i = 0; i < sizeof EXPS / sizeof EXPS[0]; i++) {
        long n = EXPS[i];
        pre(); r = F(ldexp)(x, (int)n); printf("ldexp " QF " %ld -> " QF, QA(x), n, QA(r)); post();
        pre(); r = F(scalbn)(x, (int)n); printf("scalbn " QF " %ld -> " QF, QA(x), n, QA(r)); post();
        pre(); r = F(scalbln)(x, n * 100000); printf("scalbln " QF " %ld -> " QF, QA(x), n * 100000, QA(r)); post();
    }
}

static void rounded(Q x, Q y, Q z) {
    for (unsigned m = 0; m < 4; m++) {
        fesetround(MODES[m]);
        printf("mode %d\n", m);
        ROUNDED(CALL1) RTOIS(CALL1) RBINS(CALL2) NAR1(CALL1) NAR2(CALL2)
        t_fma(x, y, z);
        static const int SC[] = {-16440, -16383, -1000, 16000};
        for (unsigned i = 0; i < 4; i++) {
            pre(); Q r = F(scalbn)(x, SC[i]); printf("scalbn " QF " %d -> " QF, QA(x), SC[i], QA(r)); post();
        }
#define CALL3(n, T) t_##n(x, y, z);
        NAR3(CALL3)
    }
    fesetround(FE_TONEAREST);
}

static const char *NANS[] = {"", "0x123", "123", "0777", "0x7fffffffffffffffffffffffffff", "99999999999999999999999",
                             "abc", "1_", "-1", " 1", "0x", "0xffffffffffffffff", "18446744073709551616"};

/* A pseudo-random value: any bits, or an exponent near the interesting range. */
static Q rq(int i) {
    u64 hi = rnd(), lo = rnd();
    switch (i % 5) {
    case 0: break;
    case 1: hi = (hi & 0x8000ffffffffffffULL) | (u64)(0x3ff0 + (rnd() % 0x90)) << 48; break;
    case 2: hi = (hi & 0x8000ffffffffffffULL) | (u64)(rnd() % 0x90) << 48; break;
    case 3: hi = (hi & 0x8000ffffffffffffULL) | (u64)(0x3f80 + (rnd() % 0x100)) << 48; lo &= ~0ULL << (rnd() % 64); break;
    /* near double's and float's underflow and overflow thresholds */
    case 4: hi = (hi & 0x8000ffffffffffffULL) | (u64)((rnd() & 1 ? 0x3bc0 : 0x43c0) + (rnd() % 0x80)) << 48; break;
    }
    return q(hi, lo);
}

int main(void) {
    for (unsigned i = 0; i < NV; i++)
        for (unsigned j = 0; j < NV; j++) {
            Q x = q(V[i][0], V[i][1]), y = q(V[j][0], V[j][1]);
            exact(x, y);
            rounded(x, y, q(V[(i * 7 + j) % NV][0], V[(i * 7 + j) % NV][1]));
        }
    for (int i = 0; i < 3500; i++) {
        Q x = rq(i), y = rq(i / 4), z = rq(i / 16);
        exact(x, y);
        rounded(x, y, i & 1 ? z : -(x * y));
    }
    for (unsigned i = 0; i < sizeof NANS / sizeof NANS[0]; i++) {
        pre(); Q r = F(nan)(NANS[i]); printf("nan \"%s\" -> " QF, NANS[i], QA(r)); post();
    }
#if defined(__aarch64__)
    /* The _Float64x and _Float128 names are the long double functions. */
    for (unsigned i = 0; i < NV; i++) {
        Q x = q(V[i][0], V[i][1]), y = q(V[(i + 3) % NV][0], V[(i + 3) % NV][1]);
        pre(); printf("aliases " QF " -> " QF " " QF " " QF " " QF, QA(x), QA(nextupf64x(x)), QA(nextdownf128(x)),
                      QA(fmaximumf64x(x, y)), QA(roundevenf128(x))); post();
        pre(); printf("aliases2 " QF " -> %a %a %a %a %d", QA(x), faddl(x, y), dmull(x, y), f32xsubf64x(x, y),
                      fsqrtl(x), totalorderf64x((_Float64x *)&x, (_Float64x *)&y)); post();
        pre(); printf("aliases3 " QF " -> %a %a " QF, QA(x), dfmal(x, y, x), ddivl(x, y), QA(f64xaddf128(x, y))); post();
    }
#endif
    return 0;
}
