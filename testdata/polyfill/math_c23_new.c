/* The C23 functions of glibc 2.42 that polyfill/src/math_c23.c supplies: pown, powr,
 * rootn, rsqrt, compoundn, for float, double and (x86_64) long double, through the base
 * names and the _FloatN aliases. No Debian release has glibc 2.42, so this program holds
 * its own references:
 * - special cases (signed zeros, infinities, NaNs, domain and pole errors, overflow and
 *   underflow) from a table of what C23 and glibc 2.42's math/s_*_template.c return, with
 *   errno and the exceptions: lines "call -> result errno flags = expected errno flags";
 * - finite results against a binary128 reference (__float128 on x86_64, long double on
 *   aarch64: binary exponentiation, Newton steps on the older powl and sqrtl, or powl
 *   itself for powr), rounded once to the type: lines "call -> result errno flags ~ ref",
 *   where errno and flags must be 0 (the arguments keep results normal).
 * Linked against stub libraries that define glibc 2.42's versions; it runs only patched. */
#define _GNU_SOURCE
#include <errno.h>
#include <fenv.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#if defined(__x86_64__)
typedef __float128 Q;
#define LDECL(n, ...) extern long double n##l(long double __VA_ARGS__);                    \
    extern long double n##f64x(long double __VA_ARGS__);
#else
typedef long double Q;
#define LDECL(n, ...)
#endif
#define DECL(n, ...) extern float n##f(float __VA_ARGS__); extern double n(double __VA_ARGS__); \
    extern float n##f32(float __VA_ARGS__); extern double n##f64(double __VA_ARGS__);      \
    extern double n##f32x(double __VA_ARGS__); LDECL(n, __VA_ARGS__)
DECL(pown, , long long)
DECL(rootn, , long long)
DECL(compoundn, , long long)
DECL(rsqrt)
extern float powrf(float, float); extern double powr(double, double);
extern float powrf32(float, float); extern double powrf64(double, double);
extern double powrf32x(double, double);
#if defined(__x86_64__)
extern long double powrl(long double, long double);
extern long double powrf64x(long double, long double);
#endif

static unsigned long long seed = 0x9e3779b97f4a7c15ULL;
static unsigned long long rnd(void) {
    seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
    return seed;
}
static double uniform(double lo, double hi) { return lo + (hi - lo) * (double)(rnd() >> 11) * 0x1p-53; }

static void pre(void) { errno = 0; feclearexcept(FE_ALL_EXCEPT); }
static int flags(void) { return fetestexcept(FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW | FE_UNDERFLOW); }
static void pf(float x) { unsigned u; memcpy(&u, &x, 4); printf(" %08x", u); }
static void pd(double x) { unsigned long long u; memcpy(&u, &x, 8); printf(" %016llx", u); }
#if defined(__x86_64__)
static void pl(long double x) {
    unsigned long long m; unsigned short se;
    memcpy(&m, &x, 8); memcpy(&se, (char *)&x + 8, 2);
    printf(" %04x%016llx", se, m);
}
#endif
static void pn(long long n) { printf(" n%lld", n); }

/* The reference functions, in binary128. */
static Q pown_q(Q x, long long n) {
    unsigned long long m = n < 0 ? -(unsigned long long)n : (unsigned long long)n;
    Q r = 1, b = x;
    for (; m; m >>= 1, b *= b)
        if (m & 1)
            r *= b;
    return n < 0 ? 1 / r : r;
}
static Q rootn_q(Q x, long long n) {
    Q a = x < 0 ? -x : x;
    Q y = powl((long double)a, 1.0L / (long double)n);
    for (int i = 0; i < 2; i++) /* Newton on y^n = a */
        y += y * (a / pown_q(y, n) - 1) / (Q)n;
    return x < 0 ? -y : y;
}
static Q rsqrt_q(Q x) {
    Q y = 1 / (Q)sqrtl((long double)x);
    for (int i = 0; i < 2; i++)
        y = y * (3 - x * y * y) / 2;
    return y;
}
static Q compoundn_q(Q x, long long n) { return pown_q(1 + x, n); }
static Q powr_q(Q x, Q y) { return powl((long double)x, (long double)y); }

/* Whether an expected NaN must be matched bit for bit (else any NaN). */
static int exact_nan;
/* A special case: the call, its result, errno and flags, then the expected ones (a NaN
 * expected: any NaN). */
#define SPECIAL(T, P, name, call, argp, exp_, experr, expflags) do {                      \
        pre(); T r_ = call; int e_ = errno, f_ = flags(); T x_ = (exp_);                  \
        printf("%s", name); argp; printf(" ->"); P(r_); printf(" e%d f%x =", e_, f_);     \
        if (x_ != x_ && !exact_nan) printf(" nan"); else P(x_);                           \
        printf(" e%d f%x\n", (experr), (expflags)); } while (0)
/* A finite case against the binary128 reference. */
#define FINITE(T, P, name, call, argp, ref) do {                                          \
        pre(); T r_ = call; int e_ = errno, f_ = flags(); T q_ = (T)(ref);                \
        printf("%s", name); argp; printf(" ->"); P(r_); printf(" e%d f%x ~", e_, f_);     \
        P(q_); printf("\n"); } while (0)

#define I FE_INVALID
#define Z FE_DIVBYZERO
#define O FE_OVERFLOW
#define U FE_UNDERFLOW

/* Every table entry and random case for one type. */
#define TYPE(T, P, S, MAXEXP, SNAN, EXP2, BIGN_BITS)                                                       \
static void specials_##P(void) {                                                          \
    const T inf = INFINITY, nan = NAN, snan = SNAN;                                       \
    const long long big = 0x7fffffffffffffffLL, small = -big - 1;                         \
    struct { T x; long long n; T r; int e, f; } pn_[] = {                                 \
        {nan, 0, 1, 0, 0}, {snan, 0, nan, 0, I}, {nan, 3, nan, 0, 0}, {0.0, 3, 0.0, 0, 0},  \
        {-0.0, 3, -0.0, 0, 0}, {-0.0, 2, 0.0, 0, 0}, {0.0, -3, inf, ERANGE, Z},             \
        {-0.0, -3, -inf, ERANGE, Z}, {-0.0, -2, inf, ERANGE, Z}, {inf, 3, inf, 0, 0},       \
        {-inf, 3, -inf, 0, 0}, {-inf, 2, inf, 0, 0}, {-inf, -3, -0.0, 0, 0},                \
        {inf, -2, 0.0, 0, 0}, {2, 0, 1, 0, 0}, {-2, 0, 1, 0, 0}, {0.0, 0, 1, 0, 0},         \
        {inf, 0, 1, 0, 0}, {-1, big, -1, 0, 0}, {-1, small, 1, 0, 0},                       \
        {-1, (1LL << 53) + 1, -1, 0, 0}, {-1, (1LL << 62) + 2, 1, 0, 0}, {1, big, 1, 0, 0}, \
        {2, 20000, inf, ERANGE, O}, {-2, 20001, -inf, ERANGE, O}, {2, -20000, 0.0, ERANGE, U}, \
        {-2, -20001, -0.0, ERANGE, U}, {0.5, 1LL << 62, 0.0, ERANGE, U},                    \
        {-0.5, (1LL << 62) + 1, -0.0, ERANGE, U}, {-3, 3, -27, 0, 0}, {2, -2, 0.25, 0, 0},  \
    };                                                                                    \
    for (unsigned i = 0; i < sizeof pn_ / sizeof pn_[0]; i++)                             \
        SPECIAL(T, P, "pown" #S, pown##S(pn_[i].x, pn_[i].n), (P(pn_[i].x), pn(pn_[i].n)), pn_[i].r,  \
                pn_[i].e, pn_[i].f);                                                      \
    struct { T x, y, r; int e, f; } pr_[] = {                                             \
        {-1, 2, nan, EDOM, I}, {-0.0, 2, 0.0, 0, 0}, {-0.0, -1, inf, ERANGE, Z},            \
        {0.0, 0.0, nan, EDOM, I}, {-0.0, 0.0, nan, EDOM, I}, {0.0, -0.0, nan, EDOM, I},     \
        {1, inf, nan, EDOM, I}, {1, -inf, nan, EDOM, I}, {inf, 0.0, nan, EDOM, I},          \
        {inf, -0.0, nan, EDOM, I}, {-inf, 1, nan, EDOM, I}, {-inf, 0.0, nan, EDOM, I},      \
        {1, nan, nan, 0, 0}, {nan, 0.0, nan, 0, 0}, {nan, 1, nan, 0, 0}, {1, 2, 1, 0, 0},   \
        {inf, 2, inf, 0, 0}, {inf, -2, 0.0, 0, 0}, {0.0, 2, 0.0, 0, 0},                     \
        {0.0, -2, inf, ERANGE, Z}, {0.0, inf, 0.0, 0, 0}, {2, inf, inf, 0, 0},              \
        {0.5, inf, 0.0, 0, 0}, {2, -inf, 0.0, 0, 0}, {2, 20000, inf, ERANGE, O},            \
        {2, -20000, 0.0, ERANGE, U}, {4, 0.5, 2, 0, 0}, {2, 10, 1024, 0, 0}, {snan, 1, nan, 0, I}, \
    };                                                                                    \
    for (unsigned i = 0; i < sizeof pr_ / sizeof pr_[0]; i++)                             \
        SPECIAL(T, P, "powr" #S, powr##S(pr_[i].x, pr_[i].y), (P(pr_[i].x), P(pr_[i].y)), pr_[i].r,   \
                pr_[i].e, pr_[i].f);                                                      \
}                                                                                         \
static void specials_rest_##P(void) {                                                     \
    const T inf = INFINITY, nan = NAN, snan = SNAN;                                       \
    const long long big = 0x7fffffffffffffffLL, small = -big - 1;                         \
    struct { T x; long long n; T r; int e, f; } rn_[] = {                                 \
        {2, 0, nan, EDOM, I}, {nan, 0, nan, EDOM, I}, {0.0, 0, nan, EDOM, I},               \
        {nan, 3, nan, 0, 0}, {snan, 3, nan, 0, I}, {-8, 2, nan, EDOM, I},                   \
        {-8, -4, nan, EDOM, I}, {-inf, 2, nan, EDOM, I}, {inf, 3, inf, 0, 0},               \
        {-inf, 3, -inf, 0, 0}, {inf, -2, 0.0, 0, 0}, {-inf, -3, -0.0, 0, 0},                \
        {inf, 2, inf, 0, 0}, {0.0, 3, 0.0, 0, 0}, {-0.0, 3, -0.0, 0, 0}, {-0.0, 2, 0.0, 0, 0}, \
        {0.0, -3, inf, ERANGE, Z}, {-0.0, -3, -inf, ERANGE, Z}, {-0.0, -2, inf, ERANGE, Z}, \
        {0.0, -2, inf, ERANGE, Z}, {3, 1, 3, 0, 0}, {-3, 1, -3, 0, 0}, {2, -1, 0.5, 0, 0},  \
        {-2, -1, -0.5, 0, 0}, {4, 2, 2, 0, 0}, {1, big, 1, 0, 0}, {1, small, 1, 0, 0},      \
        {-1, big, -1, 0, 0}, {inf, big, inf, 0, 0}, {-0.0, small, inf, ERANGE, Z},          \
    };                                                                                    \
    for (unsigned i = 0; i < sizeof rn_ / sizeof rn_[0]; i++)                             \
        SPECIAL(T, P, "rootn" #S, rootn##S(rn_[i].x, rn_[i].n), (P(rn_[i].x), pn(rn_[i].n)), rn_[i].r, \
                rn_[i].e, rn_[i].f);                                                      \
    struct { T x, r; int e, f; } rs_[] = {                                                \
        {0.0, inf, ERANGE, Z}, {-0.0, -inf, ERANGE, Z}, {-1, nan, EDOM, I},                 \
        {-inf, nan, EDOM, I}, {inf, 0.0, 0, 0}, {nan, nan, 0, 0}, {snan, nan, 0, I},        \
        {4, 0.5, 0, 0}, {0.25, 2, 0, 0}, {1, 1, 0, 0}, {0x1p-100, 0x1p50, 0, 0},            \
    };                                                                                    \
    for (unsigned i = 0; i < sizeof rs_ / sizeof rs_[0]; i++)                             \
        SPECIAL(T, P, "rsqrt" #S, rsqrt##S(rs_[i].x), P(rs_[i].x), rs_[i].r, rs_[i].e, rs_[i].f);     \
    struct { T x; long long n; T r; int e, f; } cn_[] = {                                 \
        {snan, 0, nan, 0, I}, {nan, 0, 1, 0, 0}, {nan, 2, nan, 0, 0}, {-2, 2, nan, EDOM, I}, \
        {-2, 0, nan, EDOM, I}, {-inf, 2, nan, EDOM, I}, {-1, 2, 0.0, 0, 0},                 \
        {-1, -2, inf, ERANGE, Z}, {-1, 0, 1, 0, 0}, {inf, 2, inf, 0, 0}, {inf, -2, 0.0, 0, 0}, \
        {0.5, 1, 1.5, 0, 0}, {-0.5, 1, 0.5, 0, 0}, {1, 20000, inf, ERANGE, O},              \
        {1, -20000, 0.0, ERANGE, U}, {0.0, big, 1, 0, 0}, {-0.0, small, 1, 0, 0},           \
        {-0.5, 20000, 0.0, ERANGE, U}, {3, 2, 16, 0, 0}, {1, 10, 1024, 0, 0},               \
        {-0.5, -3, 8, 0, 0}, {0.0, 5, 1, 0, 0},                                             \
    };                                                                                    \
    for (unsigned i = 0; i < sizeof cn_ / sizeof cn_[0]; i++)                             \
        SPECIAL(T, P, "compoundn" #S, compoundn##S(cn_[i].x, cn_[i].n), (P(cn_[i].x), pn(cn_[i].n)),       \
                cn_[i].r, cn_[i].e, cn_[i].f);                                            \
}                                                                                         \
/* x = ±2^u, |n u| < MAXEXP - 4: the power stays normal */                                \
static void finite_##P(int count) {                                                       \
    for (int i = 0; i < count; i++) {                                                     \
        long long n = (long long)(rnd() % 2001) - 1000;                                   \
        if (i % 4 == 0)                                                                   \
            n = (long long)(rnd() % 17) - 8;                                              \
        if (n == 0)                                                                       \
            n = 7;                                                                        \
        double lim = (MAXEXP - 4.0) / (n < 0 ? -n : n);                                   \
        T x = (T)EXP2(uniform(-lim, lim));                                                \
        if (x == 1) continue;                                                             \
        if (n & 1 && rnd() & 1) x = -x;                                                   \
        FINITE(T, P, "pown" #S, pown##S(x, n), (P(x), pn(n)), pown_q(x, n));              \
        T ax = x < 0 ? -x : x;                                                            \
        T y = (T)(uniform(-1, 1) * (MAXEXP - 4.0) / (lim > 1 ? lim : 1));                 \
        FINITE(T, P, "powr" #S, powr##S(ax, y), (P(ax), P(y)), powr_q(ax, y));            \
        T big = (T)EXP2(uniform(-(MAXEXP - 4.0), MAXEXP - 4.0));                          \
        if (n & 1 && rnd() & 1) big = -big;                                               \
        if (n != 1 && n != -1)                                                            \
            FINITE(T, P, "rootn" #S, rootn##S(big, n), (P(big), pn(n)), rootn_q(big, n)); \
        FINITE(T, P, "rsqrt" #S, rsqrt##S(ax), P(ax), rsqrt_q(ax));                       \
        FINITE(T, P, "rsqrt" #S, rsqrt##S(big < 0 ? -big : big), P(big < 0 ? -big : big), \
               rsqrt_q(big < 0 ? -big : big));                                            \
        T c = (T)(EXP2(uniform(-lim, lim)) - 1);                                          \
        if (c != 0 && c > -1 && n != 1)                                                   \
            FINITE(T, P, "compoundn" #S, compoundn##S(c, n), (P(c), pn(n)),               \
                   compoundn_q(c, n));                                                    \
        if (i % 16)                                                                       \
            continue;                                                                     \
        /* |n| from 2^20 to 2^BIGN_BITS, (1 + c)^n from e^-40 to e^40 (binary128 holds  \
         * 1 + c exactly) */                                                              \
        int k = 20 + (int)(rnd() % (BIGN_BITS - 20));                                     \
        long long nb = (1LL << k) + (long long)(rnd() % 1000);                            \
        if (rnd() & 1)                                                                    \
            nb = -nb;                                                                     \
        T cb = (T)(uniform(-40, 40) / (double)nb), xb = 1 + cb;                           \
        if (cb != 0)                                                                      \
            FINITE(T, P, "compoundn" #S, compoundn##S(cb, nb), (P(cb), pn(nb)),           \
                   compoundn_q(cb, nb));                                                  \
        if (xb != 1)                                                                      \
            FINITE(T, P, "pown" #S, pown##S(xb, nb), (P(xb), pn(nb)), pown_q(xb, nb));    \
    }                                                                                     \
}

static float snanf_(void) { unsigned u = 0x7fa00001; float x; memcpy(&x, &u, 4); return x; }
static double snan_(void) {
    unsigned long long u = 0x7ff4000000000001ULL; double x; memcpy(&x, &u, 8); return x;
}
static long double snanl_(void) { return __builtin_nansl(""); }
/* 2^u with more random significant bits than a double's */
static long double exp2l_(double u) { return exp2l(u + (long double)uniform(0, 0x1p-40)); }
#if defined(__x86_64__)
#endif

TYPE(float, pf, f, 128, snanf_(), exp2, 59)
TYPE(double, pd, , 1024, snan_(), exp2, 59)
#if defined(__x86_64__)
TYPE(long double, pl, l, 16384, snanl_(), exp2l_, 40)
#else
/* aarch64's binary128 long double: pownl and powrl only, which are glibc's powl (2.42's
 * are the same calls), so the reference is powl itself */
static void pq(long double x) {
    unsigned long long u[2]; memcpy(u, &x, 16); printf(" %016llx%016llx", u[1], u[0]);
}
extern long double pownl(long double, long long), pownf64x(long double, long long);
extern long double pownf128(long double, long long), powrl(long double, long double);
extern long double powrf64x(long double, long double), powrf128(long double, long double);
extern long double logp1l(long double);
#define rootnl(x, n) 0
#define compoundnl(x, n) 0
#define rsqrtl(x) 0
TYPE(long double, pq, l, 16384, snanl_(), exp2l_, 40)
static void finite_binary128(int count) {
    for (int i = 0; i < count; i++) {
        long long n = (long long)(rnd() % 2001) - 1000;
        if (n == 0) n = 3;
        double lim = 16380.0 / (n < 0 ? -n : n);
        long double x = exp2l_(uniform(-lim, lim));
        if (n & 1 && rnd() & 1) x = -x;
        FINITE(long double, pq, "pownl", pownl(x, n), (pq(x), pn(n)), powl(x, (long double)n));
        long double ax = x < 0 ? -x : x, y = uniform(-1, 1) * 16380.0 / (lim > 1 ? lim : 1);
        FINITE(long double, pq, "powrl", powrl(ax, y), (pq(ax), pq(y)), powl(ax, y));
    }
}
#endif

int main(void) {
    specials_pf();
    specials_pd();
    finite_pf(3000);
    finite_pd(3000);
    /* the _FloatN names */
    SPECIAL(float, pf, "pownf32", pownf32(2, 3), (pf(2), pn(3)), 8, 0, 0);
    SPECIAL(double, pd, "pownf64", pownf64(2, -1), (pd(2), pn(-1)), 0.5, 0, 0);
    SPECIAL(double, pd, "powrf32x", powrf32x(4, 0.5), (pd(4), pd(0.5)), 2, 0, 0);
    SPECIAL(float, pf, "powrf32", powrf32(-1, 2), (pf(-1), pf(2)), NAN, EDOM, FE_INVALID);
    SPECIAL(double, pd, "powrf64", powrf64(0, -1), (pd(0), pd(-1)), INFINITY, ERANGE, FE_DIVBYZERO);
    SPECIAL(double, pd, "rootnf32x", rootnf32x(-8, 2), (pd(-8), pn(2)), NAN, EDOM, FE_INVALID);
    SPECIAL(float, pf, "rootnf32", rootnf32(4, 2), (pf(4), pn(2)), 2, 0, 0);
    SPECIAL(double, pd, "rootnf64", rootnf64(9, 2), (pd(9), pn(2)), 3, 0, 0);
    SPECIAL(float, pf, "rsqrtf32", rsqrtf32(0.25f), pf(0.25f), 2, 0, 0);
    SPECIAL(double, pd, "rsqrtf64", rsqrtf64(-0.0), pd(-0.0), -INFINITY, ERANGE, FE_DIVBYZERO);
    SPECIAL(double, pd, "rsqrtf32x", rsqrtf32x(16), pd(16), 0.25, 0, 0);
    SPECIAL(float, pf, "compoundnf32", compoundnf32(1, 3), (pf(1), pn(3)), 8, 0, 0);
    SPECIAL(double, pd, "compoundnf64", compoundnf64(-1, -1), (pd(-1), pn(-1)), INFINITY, ERANGE, FE_DIVBYZERO);
    SPECIAL(double, pd, "compoundnf32x", compoundnf32x(1, 4), (pd(1), pn(4)), 16, 0, 0);
    SPECIAL(double, pd, "pownf32x", pownf32x(-2, 3), (pd(-2), pn(3)), -8, 0, 0);
#if defined(__x86_64__)
    specials_pl();
    finite_pl(3000);
    SPECIAL(long double, pl, "pownf64x", pownf64x(2, 3), (pl(2), pn(3)), 8, 0, 0);
    SPECIAL(long double, pl, "powrf64x", powrf64x(4, 0.5), (pl(4), pl(0.5)), 2, 0, 0);
    SPECIAL(long double, pl, "rootnf64x", rootnf64x(-0.0L, -3), (pl(-0.0L), pn(-3)), -INFINITY, ERANGE, FE_DIVBYZERO);
    SPECIAL(long double, pl, "rsqrtf64x", rsqrtf64x(4), pl(4), 0.5, 0, 0);
    SPECIAL(long double, pl, "compoundnf64x", compoundnf64x(1, 3), (pl(1), pn(3)), 8, 0, 0);
#else
    specials_pq();
    finite_binary128(3000);
    SPECIAL(long double, pq, "pownf64x", pownf64x(2, 3), (pq(2), pn(3)), 8, 0, 0);
    SPECIAL(long double, pq, "pownf128", pownf128(-2, -1), (pq(-2), pn(-1)), -0.5L, 0, 0);
    SPECIAL(long double, pq, "powrf64x", powrf64x(4, 0.5L), (pq(4), pq(0.5L)), 2, 0, 0);
    SPECIAL(long double, pq, "powrf128", powrf128(-1, 2), (pq(-1), pq(2)), NAN, EDOM, FE_INVALID);
    {   /* powrl of NaNs: the soft-float x + y's NaN, as glibc's powr returns */
        long double v[] = {NAN, -NAN, __builtin_nansl(""), -__builtin_nansl("0x123"), 1};
        exact_nan = 1;
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 5; j++) {
                if (i == 4 && j == 4) continue;
                volatile long double a = v[i], b = v[j];
                pre(); long double want = a + b; int wf = flags();
                SPECIAL(long double, pq, "powrl", powrl(v[i], v[j]), (pq(v[i]), pq(v[j])), want, 0, wf);
            }
        exact_nan = 0;
    }
#endif
    return 0;
}
