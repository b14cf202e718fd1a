/* The C23 transcendental libm functions of glibc 2.40-2.42: exp2m1, exp10m1, log2p1,
 * log10p1, logp1 (2.40); sinpi, cospi, tanpi, asinpi, acospi, atanpi, atan2pi (2.41);
 * pown, powr, rootn, rsqrt, compoundn (2.42). Float and double on both architectures,
 * long double where it is the x87 80-bit format (x86_64); of aarch64's binary128 long
 * double only logp1l, pownl and powrl, which need no arithmetic (the rest would need
 * libgcc's soft-float calls). The _FloatN names are aliases (f32 = float, f32x = f64 =
 * double, f64x = long double, and on aarch64 f128 = long double).
 *
 * Each function is computed in a working type W from the older libm functions (sin,
 * expm1, log1p, pow ...): double for float (then the result is almost always correctly
 * rounded), long double for double on x86_64, double for double on aarch64 and long double
 * for long double. Where W is no wider than the result, the argument that multiplies a
 * constant (pi, ln 2, 1/pi ...) is carried as a head and a tail and the tail enters as
 * the first-order term, so the error stays near glibc's own. Special cases (signed zeros,
 * integers, poles, domain errors, errno and the exceptions) follow glibc's
 * math/s_*_template.c: reduction modulo 2 is exact (x - 2 round(x/2)), and every NaN,
 * infinity and division by zero is produced by an operation in the result's type, so its
 * bits and flags are the hardware's, as glibc's are. This file includes itself once per
 * type (the template below the #else). */
/* Not on 32-bit targets: the long double branches assume x86_64's x87 or aarch64's
 * binary128 (armhf's long double is double); not ported yet. */
#if __SIZEOF_LONG__ == 8
#ifndef C23_T
#include "common.h"

#define EDOM 33
#define ERANGE 34
#define ALIAS(name, target) \
    extern __typeof__(PF(target)) PF(name) __attribute__((alias("__elfcompat_pf_" #target)));
#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

typedef unsigned long long u64;

extern double sin(double), cos(double), tan(double), asin(double), acos(double);
extern double atan(double), atan2(double, double), expm1(double), exp2(double);
extern double exp(double), log1p(double), pow(double, double), sqrt(double);
extern double round(double), fma(double, double, double);
extern float log1pf(float);
#if defined(__x86_64__)
extern long double sinl(long double), cosl(long double), tanl(long double);
extern long double asinl(long double), acosl(long double), atanl(long double);
extern long double atan2l(long double, long double), expm1l(long double);
extern long double exp2l(long double), expl(long double), log1pl(long double);
extern long double powl(long double, long double), sqrtl(long double);
extern long double roundl(long double), fmal(long double, long double, long double);
#endif

/* Whether x is a signalling NaN, per format. */
static int issigf_(float x) {
    unsigned u;
    __builtin_memcpy(&u, &x, 4);
    return (u & 0x7fffffffu) > 0x7f800000u && !(u & 0x00400000u);
}
static int issig_(double x) {
    u64 u;
    __builtin_memcpy(&u, &x, 8);
    return (u & ~(1ULL << 63)) > 0x7ff0000000000000ULL && !(u & (1ULL << 51));
}
#if defined(__x86_64__)
static int issigl_(long double x) {
    struct { u64 m; unsigned short se; } u;
    __builtin_memcpy(&u, &x, 10);
    return (u.se & 0x7fff) == 0x7fff && (u.m << 1) != 0 && !(u.m & (1ULL << 62));
}
#endif

/* b^n for b >= 0, n any long long: pow(b, n) where n is exact in a double, else the
 * product of pow over n's leading 53 bits and over the rest (both of n's sign). */
static double pow_n_d(double b, long long n) {
    u64 m = n < 0 ? -(u64)n : (u64)n;
    int bits = 64 - __builtin_clzll(m | 1);
    if (bits <= 53)
        return pow(b, (double)n);
    u64 mh = m & (~0ULL << (bits - 53)), ml = m - mh;
    double dh = (double)mh, dl = (double)ml;
    return pow(b, n < 0 ? -dh : dh) * pow(b, n < 0 ? -dl : dl);
}

static float absf_(float x) { return __builtin_fabsf(x); }
static double abs_(double x) { return __builtin_fabs(x); }
#if defined(__x86_64__)
static long double absl_(long double x) { return __builtin_fabsl(x); }
#define ABS_LD , long double : absl_
#else
#define ABS_LD
#endif

/* float: W = double. */
#define C23_T float
#define C23_S f
#define C23_W_LD 0
#define T_MANT 24
#define T_MIN 0x1p-126f
#define T_MAX_EXP 128
#define T_ISSIG issigf_
#include "math_c23.c"

/* double: W = long double on x86_64 (x87), double on aarch64. */
#define C23_T double
#define C23_S
#if defined(__x86_64__)
#define C23_W_LD 1
#else
#define C23_W_LD 0
#endif
#define T_MANT 53
#define T_MIN 0x1p-1022
#define T_MAX_EXP 1024
#define T_ISSIG issig_
#include "math_c23.c"

#if defined(__x86_64__)
#define C23_T long double
#define C23_S l
#define C23_W_LD 1
#define T_MANT 64
#define T_MIN 0x1p-16382L
#define T_MAX_EXP 16384
#define T_ISSIG issigl_
#include "math_c23.c"
#endif

#if defined(__aarch64__)
#define TININESS_BEFORE 1
#else
#define TININESS_BEFORE 0
#endif

/* logp1 is glibc's alias of log1p; float goes through double (2.41's log1pf is correctly
 * rounded, older ones are not). */
EXPORT double PF(logp1)(double x) { return log1p(x); }
EXPORT float PF(logp1f)(float x) {
    if (x != x)
        return x + x;
    float t = (float)log1p(x);
    /* glibc raises underflow for a subnormal result, and on aarch64 (tininess before
     * rounding) for log1pf(0x1p-126), whose exact value is just below it */
    if ((t != 0 && __builtin_fabsf(t) < 0x1p-126f) || (TININESS_BEFORE && t == 0x1p-126f)) {
        volatile float u = t * t;
        (void)u;
    }
    return t;
}
#if defined(__x86_64__)
EXPORT long double PF(logp1l)(long double x) { return log1pl(x); }
#endif

#if defined(__aarch64__)
/* aarch64's long double is binary128, whose arithmetic is libgcc's soft-float, which the
 * polyfill linker does not bring: only the functions that need none are here, with bit
 * tests for the special cases. logp1l is log1pl; pownl and powrl are powl as glibc 2.42's
 * are (113 bits hold every long long). */
extern long double log1pl(long double), powl(long double, long double);
extern long double sqrtl(long double);
typedef unsigned __int128 u128;
static u128 qbits(long double x) {
    u128 u;
    __builtin_memcpy(&u, &x, 16);
    return u;
}
static long double qfrom(u128 u) {
    long double x;
    __builtin_memcpy(&x, &u, 16);
    return x;
}
#define Q_SIGN ((u128)1 << 127)
#define Q_INF ((u128)0x7fff << 112)
#define Q_ONE ((u128)0x3fff << 112)
#define Q_QUIET ((u128)1 << 111)
static u128 qmag(long double x) { return qbits(x) & ~Q_SIGN; }
static int qnan(long double x) { return qmag(x) > Q_INF; }
static int qinf(long double x) { return qmag(x) == Q_INF; }
static int qzero(long double x) { return qmag(x) == 0; }
static int qfinite(long double x) { return qmag(x) < Q_INF; }
/* n exactly */
static long double qfrom_ll(long long n) {
    if (n == 0)
        return qfrom(0);
    u64 m = n < 0 ? -(u64)n : (u64)n;
    int e = 63 - __builtin_clzll(m);
    u128 frac = (u128)(m ^ (1ULL << e)) << (112 - e);
    return qfrom((n < 0 ? Q_SIGN : 0) | ((u128)(16383 + e) << 112) | frac);
}
/* The NaN of libgcc's soft-float x + y, as glibc's powrl returns it: a signalling one
 * first (x before y), quieted, with invalid; else x's if it is one. */
static long double qnan2(long double x, long double y) {
    int xs = qnan(x) && !(qbits(x) & Q_QUIET), ys = qnan(y) && !(qbits(y) & Q_QUIET);
    if (xs || ys) {
        volatile float z = 0.0f;
        z = z / z;
    }
    long double n = xs ? x : ys ? y : qnan(x) ? x : y;
    return qfrom(qbits(n) | Q_QUIET);
}

EXPORT long double PF(logp1l)(long double x) { return log1pl(x); }

EXPORT long double PF(pownl)(long double x, long long n) {
    long double r = powl(x, qfrom_ll(n));
    if (!qfinite(r)) {
        if (qfinite(x))
            ERRNO = ERANGE;
    } else if (qzero(r) && qfinite(x) && !qzero(x))
        ERRNO = ERANGE;
    return r;
}

EXPORT long double PF(powrl)(long double x, long double y) {
    int neg = (qbits(x) & Q_SIGN) && !qnan(x) && !qzero(x);
    if (neg || (qzero(x) && qzero(y)) || (qbits(x) == Q_ONE && qinf(y)) ||
        (qinf(x) && qzero(y))) {
        ERRNO = EDOM;
        return sqrtl(qfrom(Q_SIGN | Q_ONE)); /* the default NaN, with invalid */
    }
    if (qnan(x) || qnan(y))
        return qnan2(x, y);
    long double r = powl(qfrom(qmag(x)), y);
    if (!qfinite(r)) {
        if (qfinite(x) && qfinite(y))
            ERRNO = ERANGE;
    } else if (qzero(r) && qfinite(x) && !qzero(x) && qfinite(y))
        ERRNO = ERANGE;
    return r;
}
#define BINARY128(base) ALIAS(base##f64x, base##l) ALIAS(base##f128, base##l)
BINARY128(logp1)
BINARY128(pown)
BINARY128(powr)
#endif

#define FAMILIES(X)                                                                       \
    X(sinpi) X(cospi) X(tanpi) X(asinpi) X(acospi) X(atanpi) X(atan2pi) X(exp2m1)         \
    X(exp10m1) X(log2p1) X(log10p1) X(logp1) X(pown) X(powr) X(rootn) X(rsqrt)            \
    X(compoundn)
#define FLOATN(base)                                                                      \
    ALIAS(base##f32, base##f)                                                             \
    ALIAS(base##f64, base)                                                                \
    ALIAS(base##f32x, base)
FAMILIES(FLOATN)
#if defined(__x86_64__)
#define FLOAT64X(base) ALIAS(base##f64x, base##l)
FAMILIES(FLOAT64X)
#endif

#else /* the template: C23_T (the type), C23_S (its suffix), C23_W_LD (W = long double) */

#define T C23_T
#define FN(base) CAT(PF(base), C23_S)
#if C23_W_LD
#define W long double
#define WSIN sinl
#define WCOS cosl
#define WTAN tanl
#define WASIN asinl
#define WACOS acosl
#define WATAN atanl
#define WATAN2 atan2l
#define WEXPM1 expm1l
#define WEXP2 exp2l
#define WEXP expl
#define WLOG1P log1pl
#define WPOW powl
#define WSQRT sqrtl
#define WROUND roundl
#define WFMA fmal
#define W_MANT 64
#define W_TINY_Q 0x1p-66L
#define W_TAIL_MIN 0x1p-16000L
#define WPOW_N(b, n) powl((b), (long double)(n))
#define K(name) CAT(name, _LD)
#else
#define W double
#define WSIN sin
#define WCOS cos
#define WTAN tan
#define WASIN asin
#define WACOS acos
#define WATAN atan
#define WATAN2 atan2
#define WEXPM1 expm1
#define WEXP2 exp2
#define WEXP exp
#define WLOG1P log1p
#define WPOW pow
#define WSQRT sqrt
#define WROUND round
#define WFMA fma
#define W_MANT 53
#define W_TINY_Q 0x1p-55
#define W_TAIL_MIN 0x1p-900
#define WPOW_N pow_n_d
#define K(name) CAT(name, _D)
#endif
/* Constants as head + tail, correctly rounded to 53 and to 64 bits. */
#define PI_H_D 0x1921fb54442d18p-51
#define PI_L_D 0x11a62633145c07p-105
#define PI_H_LD 0xc90fdaa22168c235p-62L
#define PI_L_LD -0xece675d1fc8f8cbbp-128L
#define INVPI_H_D 0x145f306dc9c883p-54
#define INVPI_L_D -0x16b01ec5417056p-108
#define INVPI_H_LD 0xa2f9836e4e44152ap-65L
#define INVPI_L_LD -0xf62a0b82b2c88fc9p-135L
#define LN2_H_D 0x162e42fefa39efp-53
#define LN2_L_D 0x1abc9e3b39803fp-108
#define LN2_H_LD 0xb17217f7d1cf79acp-64L
#define LN2_L_LD -0xd871319ff0342543p-130L
#define LN10_H_D 0x126bb1bbb55516p-51
#define LN10_L_D -0x1f48ad494ea3e9p-105
#define LN10_H_LD 0x935d8dddaaa8ac17p-62L
#define LN10_L_LD -0xad494ea3e967aeb9p-129L
#define LOG2E_H_D 0x171547652b82fep-52
#define LOG2E_L_D 0x1777d0ffda0d24p-108
#define LOG2E_H_LD 0xb8aa3b295c17f0bcp-63L
#define LOG2E_L_LD -0x82f0025f2dc582eep-128L
#define LOG10E_H_D 0x1bcb7b1526e50ep-54
#define LOG10E_L_D 0x195355baaafad3p-109
#define LOG10E_H_LD 0xde5bd8a937287195p-65L
#define LOG10E_L_LD 0xd56eaabeb4cf70c9p-131L

#define LOC(name) CAT(CAT(name, _), C23_S)
#define ABS(x) _Generic((x), float: absf_, double: abs_ ABS_LD)(x)
#define ISNAN(x) __builtin_isnan(x)
#define ISINF(x) __builtin_isinf(x)
#define SIGNBIT(x) __builtin_signbit(x)
#define COPYSIGN(a, b) (SIGNBIT(b) ? -ABS((T)(a)) : ABS((T)(a)))

/* The underflow exception glibc's math_check_force_underflow raises for a tiny result. */
static T LOC(tiny)(T t) {
    if (t != 0 && ABS(t) < T_MIN) {
        volatile T u = t * t;
        (void)u;
    }
    return t;
}

/* x - 2 round(x/2): exact, in [-1, 1]. */
static W LOC(reduce)(W x) { return x - 2 * WROUND(x * (W)0.5); }

/* c * a for a constant c = h + l, as a head hi and a tail lo; no tail for a tiny a, where
 * it would only raise a spurious underflow. */
#define SCALE(h, l, a, hi, lo)                                                            \
    W hi = (h) * (a);                                                                     \
    W lo = ABS(a) < W_TAIL_MIN ? 0 : WFMA((h), (a), -hi) + (l) * (a);

/* sin, cos, tan and cot of pi a, |a| <= 1/4, to first order in the tail of pi a. */
static W LOC(sinpi_k)(W a) {
    SCALE(K(PI_H), K(PI_L), a, hi, lo)
    return WSIN(hi) + lo * WCOS(hi);
}
static W LOC(cospi_k)(W a) {
    SCALE(K(PI_H), K(PI_L), a, hi, lo)
    return WCOS(hi) - lo * WSIN(hi);
}
static W LOC(tanpi_k)(W a) {
    SCALE(K(PI_H), K(PI_L), a, hi, lo)
    W t = WTAN(hi);
    return t + lo * (1 + t * t);
}
static W LOC(cotpi_k)(W a) {
    SCALE(K(PI_H), K(PI_L), a, hi, lo)
    W t = WTAN(hi), tl = lo * (1 + t * t), q = 1 / t;
    return q + q * (WFMA(-q, t, 1) - q * tl);
}
/* v / pi. */
static W LOC(overpi)(W v) {
    return ABS(v) < W_TAIL_MIN ? v * K(INVPI_H) : WFMA(v, K(INVPI_H), v * K(INVPI_L));
}

EXPORT T FN(sinpi)(T x) {
    if (ISNAN(x))
        return x + x;
    if (ISINF(x)) {
        ERRNO = EDOM;
        return x - x;
    }
    W y = LOC(reduce)(x), a = ABS(y), r;
    if (a == 0 || a == 1)
        return COPYSIGN(0, x);
    if (a <= (W)0.25)
        r = LOC(sinpi_k)(a);
    else if (a <= (W)0.75)
        r = LOC(cospi_k)((W)0.5 - a);
    else
        r = LOC(sinpi_k)(1 - a);
    return LOC(tiny)((T)(y < 0 ? -r : r));
}

EXPORT T FN(cospi)(T x) {
    if (ISNAN(x)) /* glibc's cospi negates |x| - ... on its last branch: a negative NaN */
        return -ABS(x + x);
    if (ISINF(x)) { /* the same negated |NaN| */
        ERRNO = EDOM;
        return -ABS(x - x);
    }
    if (ABS(x) < (T)0x1p-40) /* 1, without the underflow pi x could raise */
        return 1;
    W a = ABS(LOC(reduce)(x));
    if (a <= (W)0.25)
        return (T)LOC(cospi_k)(a);
    if (a == (W)0.5)
        return 0;
    if (a <= (W)0.75)
        return (T)LOC(sinpi_k)((W)0.5 - a);
    return (T)-LOC(cospi_k)(1 - a);
}

EXPORT T FN(tanpi)(T x) {
    if (ISNAN(x))
        return x + x;
    if (ISINF(x)) {
        ERRNO = EDOM;
        return x - x;
    }
    W y = LOC(reduce)(x), a = ABS(y);
    if (a == 0) /* even integers: the sign of x */
        return COPYSIGN(0, x);
    if (a == 1) /* odd integers: the other sign */
        return COPYSIGN(0, -x);
    if (a == (W)0.5) { /* a pole: +inf after an even integer, -inf after an odd one */
        ERRNO = ERANGE;
        return 1 / COPYSIGN(0, y);
    }
    if (a > (W)0.5) {
        y -= y < 0 ? -1 : 1;
        a = ABS(y);
    }
    W r;
    if (a <= (W)0.25)
        r = LOC(tanpi_k)(y);
    else {
        r = LOC(cotpi_k)((W)0.5 - a);
        r = y < 0 ? -r : r;
    }
    return LOC(tiny)((T)r);
}

/* asinpi, atanpi, atan2pi: an underflow to zero is a range error; rounding cannot take
 * the result past its bound. */
static T LOC(bounded)(W r, T bound, int zero_is_erange) {
    T t = LOC(tiny)((T)r);
    if (t == 0 && zero_is_erange)
        ERRNO = ERANGE;
    return ABS(t) > bound ? COPYSIGN(bound, t) : t;
}

EXPORT T FN(asinpi)(T x) {
    if (!__builtin_islessequal(ABS(x), 1)) {
        if (!ISNAN(x))
            ERRNO = EDOM;
        return (x - x) / (x - x);
    }
    return LOC(bounded)(LOC(overpi)(WASIN(x)), (T)0.5, x != 0);
}

EXPORT T FN(acospi)(T x) {
    if (__builtin_isgreater(ABS(x), 1)) {
        ERRNO = EDOM;
        return (x - x) / (x - x);
    }
    if (ISNAN(x)) /* the sign of the NaN is acos's */
#if T_MANT == 64
        return acosl(x);
#else
        return x + x;
#endif
    T t = (T)LOC(overpi)(WACOS(x));
    return t > 1 ? 1 : t;
}

EXPORT T FN(atanpi)(T x) {
    if (ISNAN(x))
        return x + x;
    return LOC(bounded)(LOC(overpi)(WATAN(x)), (T)0.5, x != 0);
}

EXPORT T FN(atan2pi)(T y, T x) {
    if (ISNAN(x) || ISNAN(y))
        return x + y;
    return LOC(bounded)(LOC(overpi)(WATAN2(y, x)), 1, y != 0 && !ISINF(x));
}

/* b^x - 1 with b^x - 1 = expm1(ln(b) x) and ln(b) x as a head and a tail. */
static T LOC(expm1_scaled)(T x, W h, W l) {
    if (x == 0)
        return x;
    if (x < -(T_MANT + 4)) /* b^x is below half an ulp of -1 (and b^x ln b would overflow) */
        return -1;
    SCALE(h, l, (W)x, hi, lo)
    W e = WEXPM1(hi);
    T t = (T)(ISINF(e) ? e : e + lo * (1 + e));
    if (ISINF(t) || (t == 0 && x != 0))
        ERRNO = ERANGE;
    return LOC(tiny)(t);
}

EXPORT T FN(exp2m1)(T x) {
    if (ISNAN(x))
        return x + x;
    if (ISINF(x))
        return x > 0 ? x : -1;
    if (x > T_MANT + 2) { /* 2^x - 1 rounds to 2^x; exp2 decides overflow exactly */
        T t = (T)WEXP2(x);
        if (ISINF(t))
            ERRNO = ERANGE;
        return t;
    }
    return LOC(expm1_scaled)(x, K(LN2_H), K(LN2_L));
}

EXPORT T FN(exp10m1)(T x) {
    if (ISNAN(x))
        return x + x;
    if (ISINF(x))
        return x > 0 ? x : -1;
    return LOC(expm1_scaled)(x, K(LN10_H), K(LN10_L));
}

/* log1p(x) / ln(b), with 1/ln(b) = h + l. */
static T LOC(log1p_scaled)(T x, W h, W l) {
    if (ISNAN(x))
        return x + x;
    if (x <= -1)
        ERRNO = x == -1 ? ERANGE : EDOM;
    W v = WLOG1P(x);
    if (v == 0 || ISINF(v) || ISNAN(v))
        return (T)v;
    T t = LOC(tiny)((T)(ABS(v) < W_TAIL_MIN ? v * h : WFMA(v, h, v * l)));
    if (t == 0 && x != 0)
        ERRNO = ERANGE;
    return t;
}
EXPORT T FN(log2p1)(T x) { return LOC(log1p_scaled)(x, K(LOG2E_H), K(LOG2E_L)); }
EXPORT T FN(log10p1)(T x) { return LOC(log1p_scaled)(x, K(LOG10E_H), K(LOG10E_L)); }

/* glibc's range errors of a power: an infinity or a zero from finite nonzero operands. */
static T LOC(power_errno)(T t, T x, int finite_y) {
    if (ISINF(t) || ISNAN(t)) {
        if (!ISINF(x) && !ISNAN(x) && finite_y)
            ERRNO = ERANGE;
    } else if (t == 0 && !ISINF(x) && x != 0 && finite_y)
        ERRNO = ERANGE;
    return t;
}

EXPORT T FN(pown)(T x, long long n) {
    if (ISNAN(x))
        return n == 0 && !T_ISSIG(x) ? 1 : x + x;
    /* glibc computes pow(x, n) in the result's type; float goes through double, which
     * holds every float power exactly enough to round once. */
#if T_MANT == 64
    T r = powl(ABS(x), (long double)n);
#else
    double r = pow_n_d(ABS((double)x), n);
#endif
    T t = (T)r;
    if (SIGNBIT(x) && (n & 1))
        t = -t;
    return LOC(power_errno)(t, x, 1);
}

EXPORT T FN(powr)(T x, T y) {
    if (__builtin_isless(x, 0) || (x == 0 && y == 0) || (x == 1 && ISINF(y)) || (ISINF(x) && y == 0)) {
        ERRNO = EDOM;
        return (x - x) / (x - x);
    }
    if (ISNAN(x) || ISNAN(y))
        return x + y;
#if T_MANT == 64
    T t = powl(ABS(x), y);
#else
    T t = (T)pow(ABS(x), y);
#endif
    return LOC(power_errno)(t, x, !ISINF(y));
}

EXPORT T FN(rootn)(T x, long long n) {
    if (n == 0) {
        volatile T z = 0;
        ERRNO = EDOM;
        return z / z;
    }
    if (ISNAN(x))
        return x + x;
    if (x < 0 && (n & 1) == 0) {
        ERRNO = EDOM;
        return (x - x) / (x - x);
    }
    if (ISINF(x))
        return n > 0 ? x : 1 / x;
    if (x == 0) {
        if (n > 0)
            return (n & 1) == 0 ? 0 : x;
        ERRNO = ERANGE;
        volatile T z = 0;
        return 1 / ((n & 1) == 0 ? z : x);
    }
    if (n == 1)
        return x;
    if (n == -1) {
        T t = 1 / x;
        if (ISINF(t))
            ERRNO = ERANGE;
        return t;
    }
    W b = ABS((W)x), r;
    if (n >= 4 * T_MAX_EXP || n <= -4 * T_MAX_EXP)
        r = WPOW(b, 1 / (W)n); /* the exponent's rounding no longer shows */
    else { /* 1/n as head + tail */
        W qh = 1 / (W)n, ql = WFMA(-qh, (W)n, 1) / (W)n;
        r = WPOW(b, qh) * WPOW(b, ql);
    }
    T t = (T)r;
    return x < 0 ? -t : t;
}

EXPORT T FN(rsqrt)(T x) {
    if (__builtin_islessequal(x, 0))
        ERRNO = x < 0 ? EDOM : ERANGE;
    if (!__builtin_isgreater(x, 0) || ISINF(x)) {
#if T_MANT == 64
        return 1 / sqrtl(x);
#else
        return (T)1 / (T)sqrt(x);
#endif
    }
    W w = x, s = 1;
#if T_MANT == 53 && W_MANT == 53
    /* keep y^2 and its tail normal */
    if (w < 0x1p-900)
        w *= 0x1p200, s = 0x1p100;
    else if (w > 0x1p900)
        w *= 0x1p-200, s = 0x1p-100;
#elif T_MANT == 64
    if (w < 0x1p-16000L)
        w *= 0x1p400L, s = 0x1p200L;
    else if (w > 0x1p16000L)
        w *= 0x1p-400L, s = 0x1p-200L;
#endif
    W y = 1 / WSQRT(w);
    /* one Newton step on w y^2 = 1, the residual from an exact y^2 */
    W yy = y * y, yl = WFMA(y, y, -yy);
    W e = WFMA(-w, yy, 1) - w * yl;
    return (T)((y + y * e * (W)0.5) * s);
}

EXPORT T FN(compoundn)(T x, long long n) {
    if (T_ISSIG(x))
        return x + x;
    if (__builtin_isless(x, -1)) {
        ERRNO = EDOM;
        return (x - x) / (x - x);
    }
    if (n == 0)
        return 1;
    if (ISNAN(x))
        return x;
    if (x == -1) {
        if (n > 0)
            return 0;
        ERRNO = ERANGE;
        volatile T z = 0;
        return 1 / z;
    }
    if (ISINF(x))
        return n > 0 ? x : 0;
    if (n == 1) {
        T t = 1 + x;
        if (ISINF(t))
            ERRNO = ERANGE;
        return t;
    }
    /* (1 + x)^n = bh^n (1 + bl/bh)^n for 1 + x = bh + bl exactly; the second factor is
     * exp(n log1p(q)), q = bl/bh, to second order in q, with n and q as head + tail. */
    W w = x, bh = 1 + w;
    W bl = ABS(w) <= 1 ? (1 - bh) + w : (w - bh) + 1;
    W r = WPOW_N(bh, n);
    /* the factor is 1 to W's precision (and computing it could underflow) unless
     * |n bl / bh| reaches 2^-(W_MANT + 2) */
    if (bl != 0 && r != 0 && !ISINF(r) && ABS(bl) * ABS((W)n) >= ABS(bh) * W_TINY_Q) {
        W nh = (W)n, nl = (W)(n - (long long)nh);
        if (nh >= 0x1p63)
            nl = (W)(n - 0x7fffffffffffffffLL) - 1; /* (long long)2^63 is out of range */
        W qh = bl / bh, ql = WFMA(-qh, bh, bl) / bh;
        W zh = nh * qh, zl = WFMA(nh, qh, -zh) + nh * ql + nl * qh - nh * qh * qh * (W)0.5;
        r *= WEXP(zh) * (1 + zl);
    }
    T t = (T)r;
    if (ISINF(t) || t == 0)
        ERRNO = ERANGE;
    return t;
}

#undef T
#undef FN
#undef W
#undef WSIN
#undef WCOS
#undef WTAN
#undef WASIN
#undef WACOS
#undef WATAN
#undef WATAN2
#undef WEXPM1
#undef WEXP2
#undef WEXP
#undef WLOG1P
#undef WPOW
#undef WSQRT
#undef WROUND
#undef WFMA
#undef W_MANT
#undef W_TINY_Q
#undef W_TAIL_MIN
#undef WPOW_N
#undef K
#undef LOC
#undef C23_T
#undef C23_S
#undef C23_W_LD
#undef T_MANT
#undef T_MIN
#undef T_MAX_EXP
#undef T_ISSIG
#endif
#endif /* __SIZEOF_LONG__ == 8 */
