/* libm functions whose results IEEE 754 fixes bit for bit (glibc 2.18-2.42): the C23
 * fmaximum/fminimum family, fmaxmag/fminmag, nextup/nextdown, roundeven, llogb,
 * totalorder/totalordermag, canonicalize, __issignaling, __iseqsig, uabs. Float and double
 * on both architectures; the x87 80-bit long double (x86_64) ones are in math_payload.c.
 * aarch64's binary128 long double would need libgcc's soft-float calls. The _FloatN names
 * are aliases of the base polyfill (f32 = float, f64 = f32x = double, f64x = long double).
 * Everything is bit manipulation or a comparison; invalid is raised, as glibc raises it,
 * by an operation on the NaN itself or by 0/0. */
#include "common.h"
/* Not on 32-bit targets: llogb's limits, the signalling-NaN preference and the
 * ulabs aliases (long is not long long) are per architecture, and arm's long double is
 * double; not ported yet. */
#if __SIZEOF_LONG__ == 8
typedef unsigned long long u64;
typedef unsigned short u16;

#define EDOM 33
#define ALIAS(name, target) \
    extern __typeof__(PF(target)) PF(name) __attribute__((alias("__elfcompat_pf_" #target)));

static void raise_invalid(void) {
    volatile float z = 0.0f;
    z = z / z;
}

/* Leading zeros of a nonzero word. riscv64 without Zbb (Debian's RV64GC baseline):
 * __builtin_clzll would call libgcc's __clzdi2, which no glibc exports. */
#if defined(__riscv)
static int clz64_(u64 x) {
    int n = 0;
    for (; !(x >> 63); x <<= 1)
        n++;
    return n;
}
#define CLZ64(x) clz64_(x)
#else
#define CLZ64(x) __builtin_clzll(x)
#endif

/* Per-type template for float and double: T, suffix S, unsigned type U, mantissa bits M,
 * exponent bits E. */
#define BINARY(T, S, U, M, E)                                                             \
    static U bits##S(T x) { U u; __builtin_memcpy(&u, &x, sizeof u); return u; }          \
    static T from##S(U u) { T x; __builtin_memcpy(&x, &u, sizeof x); return x; }          \
    static const U sign##S = (U)1 << (M + E);                                             \
    static const U expmask##S = (((U)1 << E) - 1) << M;                                   \
    static const U quiet##S = (U)1 << (M - 1);                                            \
    static int isnan##S(T x) { return (bits##S(x) & ~sign##S) > expmask##S; }             \
    EXPORT int PF(__issignaling##S)(T x) {                                                \
        U u = bits##S(x) & ~sign##S;                                                      \
        return u > expmask##S && !(u & quiet##S);                                         \
    }                                                                                     \
    EXPORT T PF(nextup##S)(T x) {                                                         \
        U u = bits##S(x);                                                                 \
        if ((u & ~sign##S) > expmask##S)                                                  \
            return x + x;                                                                 \
        if ((u & ~sign##S) == 0)                                                          \
            return from##S(1);                                                            \
        if (u == expmask##S)                                                              \
            return x;                                                                     \
        return from##S(u & sign##S ? u - 1 : u + 1);                                      \
    }                                                                                     \
    EXPORT T PF(nextdown##S)(T x) { return -PF(nextup##S)(-x); }                          \
    EXPORT T PF(roundeven##S)(T x) {                                                      \
        U u = bits##S(x);                                                                 \
        int e = (int)((u & expmask##S) >> M) - ((1 << (E - 1)) - 1);                      \
        if (e >= M) /* integral, infinite or NaN */                                       \
            return (u & ~sign##S) > expmask##S ? x + x : x;                               \
        if (e < -1)                                                                       \
            return from##S(u & sign##S);                                                  \
        if (e == -1) /* 0.5 <= |x| < 1 */                                                 \
            return from##S((u & sign##S) |                                                \
                           ((u & ~sign##S) > ((U)((1 << (E - 1)) - 2) << M)               \
                                ? (U)((1 << (E - 1)) - 1) << M                            \
                                : 0));                                                    \
        int frac = M - e;                                                                 \
        U half = (U)1 << (frac - 1), m = ((U)1 << frac) - 1;                              \
        u += half - 1 + ((u >> frac) & 1);                                                \
        return from##S(u & ~m);                                                           \
    }                                                                                     \
    EXPORT long PF(llogb##S)(T x) {                                                       \
        U u = bits##S(x) & ~sign##S;                                                      \
        if (u == 0 || u >= expmask##S) {                                                  \
            ERRNO = EDOM;                                                                 \
            raise_invalid();                                                              \
            return u == 0 ? LLOGB0 : u == expmask##S ? __LONG_MAX__ : LLOGBNAN;           \
        }                                                                                 \
        int e = (int)(u >> M);                                                            \
        if (e == 0) /* subnormal */                                                       \
            e = 1 - (int)(CLZ64((u64)u) - (63 - M));                                      \
        return e - ((1 << (E - 1)) - 1);                                                  \
    }                                                                                     \
    /* The key that orders all encodings as totalOrder does. */                           \
    static U key##S(U u) { return u & sign##S ? ~u : u | sign##S; }                       \
    EXPORT int PF(totalorder##S)(const T *x, const T *y) {                                \
        return key##S(bits##S(*x)) <= key##S(bits##S(*y));                                \
    }                                                                                     \
    EXPORT int PF(totalordermag##S)(const T *x, const T *y) {                             \
        return (bits##S(*x) & ~sign##S) <= (bits##S(*y) & ~sign##S);                      \
    }                                                                                     \
    EXPORT int PF(canonicalize##S)(T *cx, const T *x) {                                   \
        T v = *x;                                                                         \
        *cx = PF(__issignaling##S)(v) ? v + v : v;                                        \
        return 0;                                                                         \
    }                                                                                     \
    EXPORT int PF(__iseqsig##S)(T x, T y) {                                               \
        if (isnan##S(x) || isnan##S(y)) {                                                 \
            raise_invalid();                                                              \
            ERRNO = EDOM;                                                                 \
            return 0;                                                                     \
        }                                                                                 \
        return x == y;                                                                    \
    }                                                                                     \
    NANHELP(T, S)                                                                         \
    MINMAX(T, S)

/* glibc's math/s_f{max,min}imum*_template.c and s_f{max,min}mag_template.c, in terms
 * of the quiet comparisons. */
#define CMP(T, S, name, gt, lt, eqpick, nanpick)                                          \
    EXPORT T PF(name##S)(T x, T y) {                                                      \
        if (gt)                                                                           \
            return x;                                                                     \
        if (lt)                                                                           \
            return y;                                                                     \
        if (!isnan##S(x) && !isnan##S(y))                                                 \
            return eqpick;                                                                \
        return nanpick;                                                                   \
    }
#define GT(a, b) __builtin_isgreater(a, b)
#define LT(a, b) __builtin_isless(a, b)
/* The NaN the hardware's a + b gives (glibc computes x + y, or y + x as its compiler
 * ordered it): x86 SSE returns the first operand if it is a NaN, else the second; AArch64
 * prefers a signalling NaN, then the first operand. Quieted, with invalid for a signalling
 * one. */
#define NAN2(S, a, b) nan2##S(a, b)
/* One NaN and one number: the number, with invalid when the NaN signals. */
#define NUM(S)                                                                            \
    (isnan##S(x) && isnan##S(y) ? NAN2(S, y, x)                                           \
                                : (sig_invalid##S(x, y), isnan##S(y) ? x : y))
#define MINMAX(T, S)                                                                      \
    CMP(T, S, fmaximum, GT(x, y), LT(x, y), __builtin_signbit(x) ? y : x, NAN2(S, x, y))  \
    CMP(T, S, fminimum, LT(x, y), GT(x, y), __builtin_signbit(x) ? x : y, NAN2(S, x, y))  \
    CMP(T, S, fmaximum_num, GT(x, y), LT(x, y), __builtin_signbit(x) ? y : x, NUM(S))     \
    CMP(T, S, fminimum_num, LT(x, y), GT(x, y), __builtin_signbit(x) ? x : y, NUM(S))     \
    CMP(T, S, fmaximum_mag, GT(fabs##S(x), fabs##S(y)), LT(fabs##S(x), fabs##S(y)),       \
        __builtin_signbit(x) ? y : x, NAN2(S, x, y))                                      \
    CMP(T, S, fminimum_mag, LT(fabs##S(x), fabs##S(y)), GT(fabs##S(x), fabs##S(y)),       \
        __builtin_signbit(x) ? x : y, NAN2(S, x, y))                                      \
    CMP(T, S, fmaximum_mag_num, GT(fabs##S(x), fabs##S(y)), LT(fabs##S(x), fabs##S(y)),   \
        __builtin_signbit(x) ? y : x, NUM(S))                                             \
    CMP(T, S, fminimum_mag_num, LT(fabs##S(x), fabs##S(y)), GT(fabs##S(x), fabs##S(y)),   \
        __builtin_signbit(x) ? x : y, NUM(S))                                             \
    /* glibc's fmaxmag and fminmag end in its own fmax and fmin (2.2.5), called here;   \
     * of two zeros both return y (x86_64's maxsd; measured on aarch64 too). */          \
    CMP(T, S, fmaxmag, GT(fabs##S(x), fabs##S(y)), LT(fabs##S(x), fabs##S(y)),            \
        x == y ? y : fmax##S(x, y), fmax##S(x, y))                                        \
    CMP(T, S, fminmag, LT(fabs##S(x), fabs##S(y)), GT(fabs##S(x), fabs##S(y)),            \
        x == y ? y : fmin##S(x, y), fmin##S(x, y))

#define NANHELP(T, S)                                                                     \
    static int issig##S(T x) { return PF(__issignaling##S)(x); }                          \
    static T quiet_##S(T x) { return from##S(bits##S(x) | quiet##S); }                    \
    static void sig_invalid##S(T x, T y) {                                                \
        if (issig##S(x) || issig##S(y))                                                   \
            raise_invalid();                                                              \
    }                                                                                     \
    static T nan2##S(T a, T b) {                                                          \
        if (CANONICAL_NAN) /* the hardware's sum itself: the default NaN, invalid */      \
            return a + b;                                                                 \
        sig_invalid##S(a, b);                                                             \
        if (PREFER_SIGNALLING && !issig##S(a) && issig##S(b))                             \
            return quiet_##S(b);                                                          \
        return quiet_##S(isnan##S(a) ? a : b);                                            \
    }

/* FP_LLOGB0 and FP_LLOGBNAN: x86's are LONG_MIN; the generic ones (aarch64, s390x). */
#if defined(__x86_64__)
#define LLOGB0 (-__LONG_MAX__ - 1)
#define LLOGBNAN (-__LONG_MAX__ - 1)
#else
#define LLOGB0 (-__LONG_MAX__)
#define LLOGBNAN __LONG_MAX__
#endif

static float fabsf_(float x) { return __builtin_fabsf(x); }
static double fabs_(double x) { return __builtin_fabs(x); }
#define fabsf fabsf_
#define fabs fabs_
extern float fmaxf(float, float);
extern float fminf(float, float);
extern double fmax(double, double);
extern double fmin(double, double);
/* Which NaN x + y gives of two: SSE's is the first NaN operand; aarch64's and s390x's a
 * signalling one before a quiet one (compared with glibc's on each, tests/polyfill_math.rs
 * and tests/polyfill_s390x.rs). */
#if defined(__x86_64__)
#define PREFER_SIGNALLING 0
#else
#define PREFER_SIGNALLING 1
#endif
/* RISC-V's arithmetic returns the canonical quiet NaN (no payload, sign clear) whatever
 * the NaN operands (measured against glibc 2.41 on riscv64, tests/polyfill_arches.rs). */
#if defined(__riscv)
#define CANONICAL_NAN 1
#else
#define CANONICAL_NAN 0
#endif

BINARY(float, f, unsigned int, 23, 8)
BINARY(double, , u64, 52, 11)

#define ALIASES(base, s32, s64)                                                          \
    ALIAS(base##f32, base##s32)                                                           \
    ALIAS(base##f64, base##s64)                                                           \
    ALIAS(base##f32x, base##s64)
#define EACH(X)                                                                           \
    X(nextup) X(nextdown) X(roundeven) X(llogb) X(totalorder) X(totalordermag)            \
    X(canonicalize) X(fmaximum) X(fminimum) X(fmaximum_num) X(fminimum_num)               \
    X(fmaximum_mag) X(fminimum_mag) X(fmaximum_mag_num) X(fminimum_mag_num) X(fmaxmag)    \
    X(fminmag)
#define FLOATN(base) ALIASES(base, f, )
EACH(FLOATN)

/* uabs family (2.42, 2.43): the magnitude as the unsigned type, exact for the minimum. */
EXPORT unsigned int PF(uabs)(int x) { return x < 0 ? -(unsigned int)x : (unsigned int)x; }
EXPORT unsigned long PF(ulabs)(long x) { return x < 0 ? -(unsigned long)x : (unsigned long)x; }
ALIAS(ullabs, ulabs)
ALIAS(uimaxabs, ulabs)
ALIAS(umaxabs, ulabs)
#endif
