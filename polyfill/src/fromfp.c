/* fromfp, fromfpx, ufromfp, ufromfpx (glibc 2.25) in their two meanings, for float,
 * double and (x86_64) x87 long double, with the _FloatN names:
 * - glibc 2.25 to 2.42 (TS 18661-1): the value rounded to an integer in the given direction
 *   and returned as intmax_t / uintmax_t; out of `width` bits (or width 0, infinite, NaN)
 *   a domain error that saturates to the width. The plain __elfcompat_pf_X.
 * - glibc 2.43 (C23): the rounded value returned in the floating type; a domain error
 *   returns NaN. __elfcompat_pf_X__glibc_2_43 (elfcompat picks by the version required).
 * Both: invalid and errno EDOM on a domain error; the x forms raise inexact when the
 * result differs from the argument. glibc's math/compat_fromfp.h and math/fromfp.h
 * describe the rules; this is integer arithmetic on the encodings. */
#include "common.h"
/* Not on 32-bit targets yet: written and tested for x86_64 and aarch64 (their long double,
 * FPU control registers and intmax_t returns), and on s390x for float and double
 * (tests/polyfill_s390x.rs); i386 and armhf keep these as blockers. */
#if __SIZEOF_LONG__ == 8
typedef unsigned long long u64;
typedef unsigned long uintmax;

#define EDOM 33
enum { UPWARD, DOWNWARD, TOWARDZERO, TONEARESTFROMZERO, TONEAREST };
#define ALIAS(name, target) \
    extern __typeof__(PF(target)) PF(name) __attribute__((alias("__elfcompat_pf_" #target)));

static void raise_inexact(void) {
    volatile float one = 1.0f, tiny = 1.17549435e-38f;
    volatile float r = one + tiny;
    (void)r;
}
static void raise_invalid(void) {
    volatile float z = 0.0f;
    z = z / z;
}

/* A number as sign, unbiased exponent and significand with its integer bit at `top`
 * (what every encoding here reduces to). */
typedef struct {
    int neg, exp, zero, top;
    u64 mant;
} parts;

/* The 2.25 meaning (glibc's compat_fromfp.h). */
static int max_exponent(int uns, int neg, int width) {
    return uns ? (neg ? -1 : width - 1) : (neg ? width - 1 : width - 2);
}
static uintmax domain_int(int uns, int neg, unsigned width) {
    raise_invalid();
    ERRNO = EDOM;
    if (uns)
        return neg ? 0 : width == 64 ? ~0ul : (1ul << width) - 1;
    if (width == 0)
        return 0;
    return neg ? -(1ul << (width - 1)) : (1ul << (width - 1)) - 1;
}
static uintmax to_int(parts n, int rnd, unsigned width, int uns, int inexact) {
    if (width > 64)
        width = 64;
    if (width == 0)
        return domain_int(uns, n.neg, width);
    if (n.zero)
        return 0;
    int maxe = max_exponent(uns, n.neg, (int)width);
    if (n.exp > maxe)
        return domain_int(uns, n.neg, width);
    uintmax x;
    int half, more;
    if (n.exp >= n.top) {
        x = n.mant << (n.exp - n.top);
        half = more = 0;
    } else if (n.exp >= -1) {
        u64 h = 1ull << (n.top - 1 - n.exp);
        half = (n.mant & h) != 0;
        more = (n.mant & (h - 1)) != 0;
        x = n.exp == -1 ? 0 : n.mant >> (n.top - n.exp);
    } else {
        x = 0;
        half = 0;
        more = 1;
    }
    switch (rnd) {
    case UPWARD: x += !n.neg && (half || more); break;
    case DOWNWARD: x += n.neg && (half || more); break;
    case TONEARESTFROMZERO: x += half; break;
    case TONEAREST: x += half && ((x & 1) || more); break;
    default: break; /* unknown directions truncate, as glibc */
    }
    int over;
    if (uns)
        over = n.neg ? x != 0
             : maxe == 63 ? n.exp == 63 && x == 0
                          : x == 1ul << (maxe + 1);
    else
        over = n.neg ? n.exp == maxe && x != 1ul << maxe : x == 1ul << (maxe + 1);
    if (over)
        return domain_int(uns, n.neg, width);
    if (inexact && (half || more))
        raise_inexact();
    return uns || !n.neg ? x : -x;
}

/* The value rounded to an integer in a direction (glibc's ceil, floor, trunc, round,
 * roundeven), on a significand with `frac` fraction bits below the integer part:
 * whether to step the magnitude up. */
static int step_up(int rnd, int neg, u64 frac_bits, u64 half, u64 intpart_low) {
    if (frac_bits == 0)
        return 0;
    switch (rnd) {
    case UPWARD: return !neg;
    case DOWNWARD: return neg;
    case TONEARESTFROMZERO: return frac_bits >= half;
    case TONEAREST: return frac_bits > half || (frac_bits == half && (intpart_low & 1));
    default: return 0;
    }
}

/* Whether a nonzero value below 1 in magnitude rounds to magnitude 1 (else to 0). */
static int unit_up(int rnd, int neg, int ge_half, int gt_half) {
    switch (rnd) {
    case UPWARD: return !neg;
    case DOWNWARD: return neg;
    case TONEARESTFROMZERO: return ge_half;
    case TONEAREST: return gt_half;
    default: return 0;
    }
}

#define BINARY(T, S, U, M, E, MAXEXP)                                                     \
    static U bits##S(T x) { U u; __builtin_memcpy(&u, &x, sizeof u); return u; }          \
    static T from##S(U u) { T x; __builtin_memcpy(&x, &u, sizeof x); return x; }          \
    static parts num##S(T x) {                                                              \
        U u = bits##S(x);                                                                 \
        int raw = (int)((u >> M) & ((1u << E) - 1));                                      \
        parts n = {(int)(u >> (M + E)), raw - ((1 << (E - 1)) - 1),                         \
                 (u & ~((U)1 << (M + E))) == 0, M,                                        \
                 (u & (((U)1 << M) - 1)) | ((U)1 << M)};                                  \
        return n;                                                                         \
    }                                                                                     \
    static T round##S(T x, int rnd) {                                                     \
        U u = bits##S(x), sign = u & ((U)1 << (M + E));                                   \
        int e = (int)((u >> M) & ((1u << E) - 1)) - ((1 << (E - 1)) - 1);                 \
        U one = (U)((1u << (E - 1)) - 1) << M;                                            \
        if (e >= M)                                                                       \
            return x;                                                                     \
        if (e < 0) {                                                                      \
            U mag = u & ~sign;                                                            \
            if (mag == 0)                                                                 \
                return x;                                                                 \
            int up = unit_up(rnd, sign != 0, e == -1, e == -1 && (mag & (((U)1 << M) - 1))); \
            return from##S(sign | (up ? one : 0));                                        \
        }                                                                                 \
        int frac = M - e;                                                                 \
        U mask = ((U)1 << frac) - 1;                                                      \
        U t = u & ~mask;                                                                  \
        if (step_up(rnd, sign != 0, u & mask, (U)1 << (frac - 1), (u >> frac)))            \
            t += (U)1 << frac;                                                            \
        return from##S(t);                                                                \
    }                                                                                     \
    FROMFP(T, S, MAXEXP, M)

/* The 2.43 meaning (glibc's fromfp.h): round, then check the rounded value's range. */
#define FROMFP(T, S, MAXEXP, M)                                                           \
    static T to_float##S(T x, int rnd, unsigned width, int uns, int inexact) {            \
        if (width > (unsigned)(uns ? MAXEXP : MAXEXP + 1))                                \
            width = uns ? MAXEXP : MAXEXP + 1;                                            \
        T rx = round##S(x, rnd);                                                          \
        if (width == 0 || !__builtin_isfinite(rx)) {                                      \
            ERRNO = EDOM;                                                                 \
            volatile T z = 0;                                                             \
            return z / z;                                                                 \
        }                                                                                 \
        parts n = num##S(rx);                                                               \
        int maxe = max_exponent(uns, n.neg, (int)width);                                  \
        if (n.exp > maxe || (!uns && n.neg && n.exp == maxe && n.mant != 1ull << n.top)) { \
            ERRNO = EDOM;                                                                 \
            volatile T z = 0;                                                             \
            return z / z;                                                                 \
        }                                                                                 \
        if (inexact && rx != x)                                                           \
            raise_inexact();                                                              \
        return rx;                                                                        \
    }                                                                                     \
    EXPORTS(T, S)

#define EXPORTS(T, S)                                                                     \
    EXPORT long PF(fromfp##S)(T x, int r, unsigned w) { return (long)to_int(num##S(x), r, w, 0, 0); } \
    EXPORT long PF(fromfpx##S)(T x, int r, unsigned w) { return (long)to_int(num##S(x), r, w, 0, 1); } \
    EXPORT uintmax PF(ufromfp##S)(T x, int r, unsigned w) { return to_int(num##S(x), r, w, 1, 0); } \
    EXPORT uintmax PF(ufromfpx##S)(T x, int r, unsigned w) { return to_int(num##S(x), r, w, 1, 1); } \
    EXPORT T PF(fromfp##S##__glibc_2_43)(T x, int r, unsigned w) { return to_float##S(x, r, w, 0, 0); } \
    EXPORT T PF(fromfpx##S##__glibc_2_43)(T x, int r, unsigned w) { return to_float##S(x, r, w, 0, 1); } \
    EXPORT T PF(ufromfp##S##__glibc_2_43)(T x, int r, unsigned w) { return to_float##S(x, r, w, 1, 0); } \
    EXPORT T PF(ufromfpx##S##__glibc_2_43)(T x, int r, unsigned w) { return to_float##S(x, r, w, 1, 1); }

BINARY(float, f, unsigned int, 23, 8, 128)
BINARY(double, , u64, 52, 11, 1024)

#define NAMES(f, T, S)                                                                    \
    ALIAS(f##T, f##S) ALIAS(f##T##__glibc_2_43, f##S##__glibc_2_43)
#define EACH(T, S) NAMES(fromfp, T, S) NAMES(fromfpx, T, S) NAMES(ufromfp, T, S) NAMES(ufromfpx, T, S)
EACH(f32, f)
EACH(f64, )
EACH(f32x, )

#if defined(__x86_64__)
/* x87 long double: a 15-bit exponent and a 64-bit significand with an explicit integer
 * bit. */
static parts numl(long double x) {
    u64 m;
    unsigned short se;
    __builtin_memcpy(&m, &x, 8);
    __builtin_memcpy(&se, (char *)&x + 8, 2);
    parts n = {se >> 15, (se & 0x7fff) - 0x3fff, m == 0, 63, m};
    return n;
}
static long double make_l(unsigned short se, u64 m) {
    long double x = 0;
    __builtin_memcpy(&x, &m, 8);
    __builtin_memcpy((char *)&x + 8, &se, 2);
    return x;
}
static long double roundl_(long double x, int rnd) {
    parts n = numl(x);
    unsigned short sign = n.neg ? 0x8000 : 0;
    if (n.exp >= 63)
        return x;
    if (n.exp < 0) {
        if (n.zero)
            return x;
        int up = unit_up(rnd, n.neg, n.exp == -1, n.exp == -1 && n.mant != 1ull << 63);
        return up ? make_l(sign | 0x3fff, 1ull << 63) : make_l(sign, 0);
    }
    int frac = 63 - n.exp;
    u64 mask = (1ull << frac) - 1, t = n.mant & ~mask;
    int e = n.exp;
    if (step_up(rnd, n.neg, n.mant & mask, 1ull << (frac - 1), n.mant >> frac)) {
        t += 1ull << frac;
        if (t == 0) { /* carried out of the significand */
            t = 1ull << 63;
            e++;
        }
    }
    return make_l((unsigned short)(sign | (e + 0x3fff)), t);
}
#define roundl roundl_
FROMFP(long double, l, 16384, 63)
#undef roundl
EACH(f64x, l)
#endif
#endif /* __SIZEOF_LONG__ == 8 */
