/* NaN payloads (glibc 2.25): getpayload, setpayload, setpayloadsig for float, double and
 * (x86_64) x87 long double, with the _FloatN names; and the exact functions of
 * math_exact.c for the x87 long double (x86_64 only: __issignalingl, __iscanonicall,
 * __iseqsigl, nextupl, nextdownl, roundevenl, llogbl, totalorderl, totalordermagl,
 * canonicalizel and the fmaximum/fminimum/fmaxmag/fminmag family, with the f64x names).
 * All of it is bit manipulation of the encodings, or glibc's generic templates in terms
 * of comparisons; a NaN result of two operands is the hardware's x + y, as glibc's. */
#include "common.h"
/* Not on 32-bit targets yet: written and tested for x86_64 and aarch64 (their long double,
 * FPU control registers and intmax_t returns), and on s390x for float and double
 * (tests/polyfill_s390x.rs); i386 and armhf keep these as blockers. */
#if __SIZEOF_LONG__ == 8
typedef unsigned long long u64;
typedef unsigned int u32;

#define EDOM 33
#define ALIAS(name, target) \
    extern __typeof__(PF(target)) PF(name) __attribute__((alias("__elfcompat_pf_" #target)));

/* Per type: T, suffix S, unsigned U, explicit mantissa bits M, exponent bits E.
 * getpayload: the payload (below the quiet bit) of a NaN, else -1. setpayload: a quiet
 * NaN with that payload (an integer from 0 below 2^(M-1)); setpayloadsig: a signalling
 * one (payload from 1); otherwise +0 and 1. */
#define PAYLOAD(T, S, U, M, E)                                                            \
    static U pbits##S(T x) { U u; __builtin_memcpy(&u, &x, sizeof u); return u; }         \
    static T pfrom##S(U u) { T x; __builtin_memcpy(&x, &u, sizeof x); return x; }         \
    EXPORT T PF(getpayload##S)(const T *x) {                                              \
        U u = pbits##S(*x), expo = (((U)1 << E) - 1) << M;                                \
        if ((u & expo) != expo || (u & (((U)1 << M) - 1)) == 0)                           \
            return -1;                                                                    \
        return (T)(u & (((U)1 << (M - 1)) - 1));                                          \
    }                                                                                     \
    static int set##S(T *x, T payload, int sig) {                                         \
        U u = pbits##S(payload);                                                          \
        int bias = (1 << (E - 1)) - 1, e = (int)(u >> M);                                 \
        /* negative or too large; below 1 (except 0 for a quiet NaN); not an integer */   \
        if (e >= bias + M - 1 || (e < bias && !(!sig && u == 0)) ||                       \
            (u != 0 && (u & (((U)1 << (bias + M - e)) - 1)) != 0)) {                      \
            *x = pfrom##S(0);                                                             \
            return 1;                                                                     \
        }                                                                                 \
        if (u != 0)                                                                       \
            u = ((u & (((U)1 << M) - 1)) | ((U)1 << M)) >> (bias + M - e);                \
        *x = pfrom##S(u | ((((U)1 << E) - 1) << M) | (sig ? 0 : (U)1 << (M - 1)));        \
        return 0;                                                                         \
    }                                                                                     \
    EXPORT int PF(setpayload##S)(T *x, T payload) { return set##S(x, payload, 0); }       \
    EXPORT int PF(setpayloadsig##S)(T *x, T payload) { return set##S(x, payload, 1); }

PAYLOAD(float, f, u32, 23, 8)
PAYLOAD(double, , u64, 52, 11)

#define NAMES(b, T, S) ALIAS(b##T, b##S)
#define EACH(T, S) NAMES(getpayload, T, S) NAMES(setpayload, T, S) NAMES(setpayloadsig, T, S)
EACH(f32, f)
EACH(f64, )
EACH(f32x, )

#if defined(__x86_64__)
/* The x87 80-bit format: sign and 15-bit exponent, a 64-bit significand whose top bit is
 * the explicit integer bit. */
typedef struct {
    unsigned se;
    u64 m;
} ld_parts;
static ld_parts parts(long double x) {
    ld_parts p = {0, 0};
    unsigned short se;
    __builtin_memcpy(&p.m, &x, 8);
    __builtin_memcpy(&se, (char *)&x + 8, 2);
    p.se = se;
    return p;
}
static long double make(unsigned se, u64 m) {
    long double x = 0;
    unsigned short s = (unsigned short)se;
    __builtin_memcpy(&x, &m, 8);
    __builtin_memcpy((char *)&x + 8, &s, 2);
    return x;
}
#define TOP (1ull << 63)

EXPORT long double PF(getpayloadl)(const long double *x) {
    ld_parts p = parts(*x);
    if ((p.se & 0x7fff) != 0x7fff || (p.m & ~TOP) == 0)
        return -1;
    return (long double)(p.m & (TOP / 2 - 1));
}
static int setl(long double *x, long double payload, int sig) {
    ld_parts p = parts(payload);
    int e = (int)p.se; /* a negative payload has the sign bit: too large */
    if (e >= 0x3fff + 62 || (e < 0x3fff && !(!sig && e == 0 && p.m == 0))) {
        *x = make(0, 0);
        return 1;
    }
    int shift = 0x3fff + 63 - e;
    if (e != 0 && shift < 64 && (p.m & ((1ull << shift) - 1)) != 0) {
        *x = make(0, 0);
        return 1;
    }
    u64 m = e == 0 ? 0 : p.m >> shift;
    *x = make(0x7fff, m | TOP | (sig ? 0 : TOP / 2));
    return 0;
}
EXPORT int PF(setpayloadl)(long double *x, long double payload) { return setl(x, payload, 0); }
EXPORT int PF(setpayloadsigl)(long double *x, long double payload) { return setl(x, payload, 1); }
EACH(f64x, l)

static void raise_invalid(void) {
    volatile float z = 0.0f;
    z = z / z;
}

/* glibc's ldbl-96 tests: a signalling NaN has the integer bit, no quiet bit and a nonzero
 * rest (pseudo-NaNs are not recognised); canonical means the integer bit matches the
 * exponent (clear only for zero exponents). */
EXPORT int PF(__issignalingl)(long double x) {
    ld_parts p = parts(x);
    return (p.se & 0x7fff) == 0x7fff && (p.m & TOP) && !(p.m & (TOP / 2)) && (p.m & (TOP / 2 - 1));
}
EXPORT int PF(__iscanonicall)(long double x) {
    ld_parts p = parts(x);
    int high = (p.m & TOP) != 0;
    return (p.se & 0x7fff) ? high : !high;
}
EXPORT int PF(canonicalizel)(long double *cx, const long double *x) {
    long double v = *x;
    if (!PF(__iscanonicall)(v))
        return 1;
    *cx = PF(__issignalingl)(v) ? v + v : v;
    return 0;
}
EXPORT int PF(__iseqsigl)(long double x, long double y) {
    if (__builtin_isunordered(x, y)) {
        raise_invalid();
        ERRNO = EDOM;
        return 0;
    }
    return x == y;
}

EXPORT long double PF(nextupl)(long double x) {
    ld_parts p = parts(x);
    unsigned e = p.se & 0x7fff;
    if (e == 0x7fff && (p.m & ~TOP))
        return x + x;
    if (e == 0 && p.m == 0)
        return make(0, 1);
    if (!(p.se & 0x8000)) {
        if (e == 0x7fff)
            return x;
        p.m++;
        if (p.m == 0) {
            p.se++;
            p.m = TOP;
        } else if (e == 0 && p.m == TOP) {
            p.se++; /* the largest subnormal's successor: exponent 1 */
        }
    } else if (p.m == TOP && e > 0) {
        p.se--;
        p.m = e > 1 ? ~0ull : ~0ull >> 1;
    } else {
        p.m--;
    }
    return make(p.se, p.m);
}
EXPORT long double PF(nextdownl)(long double x) { return -PF(nextupl)(-x); }

EXPORT long double PF(roundevenl)(long double x) {
    ld_parts p = parts(x);
    int e = (int)(p.se & 0x7fff) - 0x3fff;
    unsigned sign = p.se & 0x8000;
    if (e >= 63)
        return (p.se & 0x7fff) == 0x7fff ? x + x : x;
    if (e < 0)
        return e == -1 && p.m > TOP ? make(sign | 0x3fff, TOP) : make(sign, 0);
    int frac = 63 - e;
    u64 half = 1ull << (frac - 1), mask = (half << 1) - 1, m = p.m;
    if (m & ((half << 1) | (half - 1))) {
        m += half;
        if (m < half) { /* carried out of the significand */
            m = TOP;
            p.se++;
        }
    }
    return make(p.se, m & ~mask);
}

/* x86_64's ilogbl (fxam, fxtract) through glibc's llogb wrapper: zero, NaN and the
 * encodings the x87 does not support give LONG_MIN, infinity LONG_MAX, each with invalid
 * and EDOM. */
EXPORT long PF(llogbl)(long double x) {
    ld_parts p = parts(x);
    unsigned e = p.se & 0x7fff;
    long r;
    if (e == 0x7fff)
        r = p.m == TOP ? __LONG_MAX__ : -__LONG_MAX__ - 1;
    else if (e == 0)
        r = p.m == 0 ? -__LONG_MAX__ - 1 : -16382 - __builtin_clzll(p.m);
    else if (!(p.m & TOP))
        r = -__LONG_MAX__ - 1;
    else
        return (long)e - 0x3fff;
    if (e == 0 && p.m != 0)
        return r;
    ERRNO = EDOM;
    raise_invalid();
    return r;
}

static int key_le(long double a, long double b) {
    ld_parts x = parts(a), y = parts(b);
    short kx = (short)x.se, ky = (short)y.se;
    if (kx < 0) {
        kx ^= 0x7fff;
        x.m = ~x.m;
    }
    if (ky < 0) {
        ky ^= 0x7fff;
        y.m = ~y.m;
    }
    return kx < ky || (kx == ky && x.m <= y.m);
}
EXPORT int PF(totalorderl)(const long double *x, const long double *y) { return key_le(*x, *y); }
EXPORT int PF(totalordermagl)(const long double *x, const long double *y) {
    ld_parts a = parts(*x), b = parts(*y);
    unsigned ea = a.se & 0x7fff, eb = b.se & 0x7fff;
    return ea < eb || (ea == eb && a.m <= b.m);
}

/* glibc's math/s_f{max,min}*_template.c. */
#define SIGNLE(a, b) (!__builtin_signbit(a) || __builtin_signbit(b)) /* copysign(1,a) >= copysign(1,b) */
#define NUMNAN(x, y) (__builtin_isnan(y) ? (__builtin_isnan(x) ? x + y : x) : y)
#define TEMPLATE(name, A, B, GT, LT, EQ, NAN)                                             \
    EXPORT long double PF(name)(long double x, long double y) {                           \
        long double a = A, b = B;                                                         \
        if (GT(a, b))                                                                     \
            return x;                                                                     \
        if (LT(a, b))                                                                     \
            return y;                                                                     \
        if (a == b)                                                                       \
            return EQ;                                                                    \
        return NAN;                                                                       \
    }
#define G __builtin_isgreater
#define L __builtin_isless
#define AX __builtin_fabsl(x)
#define AY __builtin_fabsl(y)
#define SIGNALLING_NAN(x, y) (PF(__issignalingl)(x) || PF(__issignalingl)(y) ? x + y : __builtin_isnan(y) ? x : y)
TEMPLATE(fmaximuml, x, y, G, L, SIGNLE(x, y) ? x : y, x + y)
TEMPLATE(fminimuml, x, y, L, G, SIGNLE(y, x) ? x : y, x + y)
TEMPLATE(fmaximum_numl, x, y, G, L, SIGNLE(x, y) ? x : y, NUMNAN(x, y))
TEMPLATE(fminimum_numl, x, y, L, G, SIGNLE(y, x) ? x : y, NUMNAN(x, y))
TEMPLATE(fmaximum_magl, AX, AY, G, L, SIGNLE(x, y) ? x : y, x + y)
TEMPLATE(fminimum_magl, AX, AY, L, G, SIGNLE(y, x) ? x : y, x + y)
TEMPLATE(fmaximum_mag_numl, AX, AY, G, L, SIGNLE(x, y) ? x : y, NUMNAN(x, y))
TEMPLATE(fminimum_mag_numl, AX, AY, L, G, SIGNLE(y, x) ? x : y, NUMNAN(x, y))
TEMPLATE(fmaxmagl, AX, AY, G, L, x > y ? x : y, SIGNALLING_NAN(x, y))
TEMPLATE(fminmagl, AX, AY, L, G, x < y ? x : y, SIGNALLING_NAN(x, y))

#define F64X(b) ALIAS(b##f64x, b##l)
F64X(nextup) F64X(nextdown) F64X(roundeven) F64X(llogb) F64X(totalorder) F64X(totalordermag)
F64X(canonicalize) F64X(fmaximum) F64X(fminimum) F64X(fmaximum_num) F64X(fminimum_num)
F64X(fmaximum_mag) F64X(fminimum_mag) F64X(fmaximum_mag_num) F64X(fminimum_mag_num)
F64X(fmaxmag) F64X(fminmag)
#endif
#endif /* __SIZEOF_LONG__ == 8 */
