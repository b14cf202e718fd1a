/* libm functions on IEEE binary128 (glibc 2.18-2.43): x86_64's _Float128 (*f128 and the
 * __*f128 classification helpers, 2.26) and aarch64's long double (*l; its *f64x and *f128
 * names are the same functions). Integer code on the 128-bit patterns, no floating-point
 * instruction on the operands (that would call libgcc's soft-float routines): the exact
 * operations, and the arithmetic ones (sqrt, fma, fdim, the narrowing ops) by one exact
 * integer computation rounded once, in the rounding mode read from MXCSR or FPCR, to the
 * result's format. Exceptions are raised as glibc's soft-float code raises them (tininess
 * after rounding on x86_64, before on aarch64) by float operations that raise the same
 * flags. */
#include "common.h"
/* Not on 32-bit targets: unsigned __int128 is 64-bit only, and there the binary128 names
 * (_Float128 on i386, none on armhf) are not ported yet. */
#if __SIZEOF_LONG__ == 8
/* Each architecture exports a different subset (see the end). */
#pragma GCC diagnostic ignored "-Wunused-function"

typedef unsigned __int128 u128;
typedef unsigned long long u64;
#if defined(__x86_64__)
typedef _Float128 Q;
typedef _Complex _Float128 CQ;
typedef long double X87;
#define TINY_AFTER 1
#define ILOGB0 (-__INT_MAX__ - 1)
#define ILOGBNAN (-__INT_MAX__ - 1)
#define LLOGB0 (-__LONG_MAX__ - 1)
#define LLOGBNAN (-__LONG_MAX__ - 1)
#else
typedef long double Q;
typedef _Complex long double CQ;
#define TINY_AFTER 0
#define ILOGB0 (-__INT_MAX__)
#define ILOGBNAN __INT_MAX__
#define LLOGB0 (-__LONG_MAX__)
#define LLOGBNAN __LONG_MAX__
#endif
#define EDOM 33
#define ERANGE 34

#define SIGN ((u128)1 << 127)
#define EXPM ((u128)0x7fff << 112)
#define QUIET ((u128)1 << 111)
#define MANT (((u128)1 << 112) - 1)
#define ONE ((u128)0x3fff << 112)

static u128 bits(Q x) { u128 u; __builtin_memcpy(&u, &x, sizeof u); return u; }
static Q from(u128 u) { Q x; __builtin_memcpy(&x, &u, sizeof x); return x; }
static int isnan_(u128 u) { return (u & ~SIGN) > EXPM; }
static int issig_(u128 u) { return isnan_(u) && !(u & QUIET); }
static int isinf_(u128 u) { return (u & ~SIGN) == EXPM; }

/* Exceptions, raised by float operations (x86_64: SSE; both: the flags fetestexcept
 * reads). */
static void raise_invalid(void) { volatile float z = 0.0f; z = z / z; }
static void raise_inexact(void) { volatile float a = 1.0f, b = 0x1p-30f; a = a + b; }
static void raise_overflow(void) { volatile float a = 0x1p127f; a = a * a; }
static void raise_underflow(void) { volatile float a = 0x1p-100f; a = a * a; }
static void raise_divbyzero(void) { volatile float a = 1.0f, z = 0.0f; a = a / z; }

/* A NaN operand quieted, with invalid when it signals (glibc's x + x). */
static u128 quiet(u128 u) {
    if (!(u & QUIET))
        raise_invalid();
    return u | QUIET;
}
/* The NaN soft-float arithmetic a OP b gives (at least one is a NaN), quieted, with
 * invalid if either signals. libgcc's _FP_CHOOSENAN: x86 takes the larger fraction (a on
 * a tie for + and *); aarch64 takes a unless a is quiet and b signals. Op 'A' is an addition
 * whose operands GCC passed the other way round (measured). */
static u128 nan_op(u128 a, u128 b, char op) {
    if (issig_(a) || issig_(b))
        raise_invalid();
#if defined(__aarch64__)
    if (op == 'A') { /* glibc's a + b compiled as __addtf3 (b, a) */
        u128 t = a;
        a = b;
        b = t;
    }
#endif
    if (!isnan_(a))
        return b | QUIET;
    if (!isnan_(b))
        return a | QUIET;
#if defined(__x86_64__)
    u128 fa = a & ~SIGN & ~EXPM, fb = b & ~SIGN & ~EXPM;
    return (fa > fb || (fa == fb && (op == '+' || op == 'A' || op == '*')) ? a : b) | QUIET;
#else
    (void)op;
    return ((a & QUIET) && issig_(b) ? b : a) | QUIET;
#endif
}
static u128 nan2(u128 a, u128 b) { return nan_op(a, b, '+'); }

enum { RN, RU, RD, RZ, RA };
static int mode(void) {
#if defined(__x86_64__)
    unsigned m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    static const unsigned char map[4] = {RN, RD, RU, RZ};
#else
    u64 m;
    __asm__ volatile("mrs %0, fpcr" : "=r"(m));
    m >>= 9; /* RMode, bits 22-23 */
    static const unsigned char map[4] = {RN, RU, RD, RZ};
#endif
    return map[(m >> 13) & 3];
}

/* Variable 128-bit shifts (0 < n < 128) spelled in 64-bit halves: GCC would otherwise
 * call libgcc's __ashlti3 on aarch64 in places. */
static u128 shl(u128 u, int n) {
    u64 hi = (u64)(u >> 64), lo = (u64)u;
    if (n >= 64)
        return (u128)(lo << (n - 64)) << 64;
    return (u128)((hi << n) | (lo >> (64 - n))) << 64 | (lo << n);
}
static u128 shr(u128 u, int n) {
    u64 hi = (u64)(u >> 64), lo = (u64)u;
    if (n >= 64)
        return hi >> (n - 64);
    return (u128)(hi >> n) << 64 | ((lo >> n) | (hi << (64 - n)));
}

static int clz128(u128 u) {
    u64 hi = (u64)(u >> 64);
    return hi ? __builtin_clzll(hi) : 64 + __builtin_clzll((u64)u);
}

/* ---- exact operations ---- */

/* x rounded to an integer in mode m (RA: ties away from zero); *inexact when it changed.
 * NaN and infinity are the caller's. */
static u128 round_int(u128 u, int m, int *inexact) {
    u128 a = u & ~SIGN;
    int neg = (int)(u >> 127), up;
    int e = (int)(a >> 112) - 16383;
    *inexact = 0;
    if (e >= 112 || a == 0)
        return u;
    if (e < 0) {
        *inexact = 1;
        switch (m) {
        case RN: up = e == -1 && a > ((u128)0x3ffe << 112); break;
        case RA: up = e == -1; break;
        case RU: up = !neg; break;
        case RD: up = neg; break;
        default: up = 0;
        }
        return (u & SIGN) | (up ? ONE : 0);
    }
    int frac = 112 - e;
    u128 mask = ((u128)1 << frac) - 1, f = a & mask, half = (u128)1 << (frac - 1);
    if (!f)
        return u;
    *inexact = 1;
    a &= ~mask;
    switch (m) {
    case RN: up = f > half || (f == half && ((a >> frac) & 1)); break;
    case RA: up = f >= half; break;
    case RU: up = !neg; break;
    case RD: up = neg; break;
    default: up = 0;
    }
    if (up)
        a += (u128)1 << frac;
    return (u & SIGN) | a;
}

static Q rounded(Q x, int m, int raise) {
    u128 u = bits(x);
    if ((u & ~SIGN) >= EXPM)
        return isnan_(u) ? from(quiet(u)) : x;
    int inexact;
    u = round_int(u, m, &inexact);
    if (inexact && raise)
        raise_inexact();
    return from(u);
}
static Q q_ceil(Q x) { return rounded(x, RU, 0); }
static Q q_floor(Q x) { return rounded(x, RD, 0); }
static Q q_trunc(Q x) { return rounded(x, RZ, 0); }
static Q q_round(Q x) { return rounded(x, RA, 0); }
static Q q_roundeven(Q x) { return rounded(x, RN, 0); }
static Q q_rint(Q x) { return rounded(x, mode(), 1); }
static Q q_nearbyint(Q x) { return rounded(x, mode(), 0); }

/* lrint and friends: 64-bit results. Out of range: invalid and the saturated value by
 * the sign; a value that rounds up to 2^63 wraps to LONG_MIN with invalid, as glibc's
 * integer code does. */
static long to_long(Q x, int m, int raise) {
    u128 u = bits(x), a = u & ~SIGN;
    int neg = (int)(u >> 127);
    int e = (int)(a >> 112) - 16383;
    int inexact;
    u128 r = round_int(u, m, &inexact) & ~SIGN;
    if (e >= 63) {
        /* -2^63 is in range, also as the rounding of a value just below it */
        if (neg && r == ((u128)(16383 + 63) << 112)) {
            if (inexact && raise)
                raise_inexact();
            return -__LONG_MAX__ - 1;
        }
        raise_invalid();
        return neg ? -__LONG_MAX__ - 1 : __LONG_MAX__;
    }
    if (r == 0)
        return inexact && raise ? (raise_inexact(), 0) : 0;
    int re = (int)(r >> 112) - 16383;
    u64 v = (u64)(((r & MANT) | ((u128)1 << 112)) >> (112 - re));
    if (re == 63 && !(neg && v == (u64)1 << 63)) {
        raise_invalid();
        return -__LONG_MAX__ - 1;
    }
    if (inexact && raise)
        raise_inexact();
    return neg ? (long)-v : (long)v;
}
static long q_lrint(Q x) { return to_long(x, mode(), 1); }
static long q_lround(Q x) { return to_long(x, RA, 0); }

static Q q_fabs(Q x) { return from(bits(x) & ~SIGN); }
static Q q_copysign(Q x, Q y) { return from((bits(x) & ~SIGN) | (bits(y) & SIGN)); }

/* Comparisons of non-NaN patterns. */
static u128 key(u128 u) { return u & SIGN ? ~u : u | SIGN; }
static int lt(u128 a, u128 b) { return (a | b) << 1 != 0 && key(a) < key(b); }
static int gt(u128 a, u128 b) { return lt(b, a); }

/* glibc's fmax/fmin: a signalling NaN gives x + y, one quiet NaN the other operand. */
static Q q_fmax(Q x, Q y) {
    u128 a = bits(x), b = bits(y);
    if (isnan_(a) || isnan_(b)) {
        if (issig_(a) || issig_(b))
            return from(nan2(a, b));
        return isnan_(b) ? x : y;
    }
    return lt(a, b) ? y : x;
}
static Q q_fmin(Q x, Q y) {
    u128 a = bits(x), b = bits(y);
    if (isnan_(a) || isnan_(b)) {
        if (issig_(a) || issig_(b))
            return from(nan2(a, b));
        return isnan_(b) ? x : y;
    }
    return gt(a, b) ? y : x;
}
/* Equal magnitudes: x > y ? x : y (fmaxmag), x < y ? x : y (fminmag). */
static Q q_fmaxmag(Q x, Q y) {
    u128 a = bits(x) & ~SIGN, b = bits(y) & ~SIGN;
    if (!isnan_(a) && !isnan_(b))
        return a != b ? (a > b ? x : y) : gt(bits(x), bits(y)) ? x : y;
    return q_fmax(x, y);
}
static Q q_fminmag(Q x, Q y) {
    u128 a = bits(x) & ~SIGN, b = bits(y) & ~SIGN;
    if (!isnan_(a) && !isnan_(b))
        return a != b ? (a < b ? x : y) : lt(bits(x), bits(y)) ? x : y;
    return q_fmin(x, y);
}

/* The C23 family (glibc's s_f{max,min}imum*_template.c): max picks the greater in the
 * total order of numbers (+0 > -0), by magnitude for _mag; a NaN operand gives a NaN,
 * or for _num the other operand (invalid when the NaN signals). */
static Q pick(Q x, Q y, int max, int mag, int num) {
    u128 a = bits(x), b = bits(y);
    if (isnan_(a) || isnan_(b)) {
        if (num && !(isnan_(a) && isnan_(b))) {
            if (issig_(a) || issig_(b))
                raise_invalid();
            return isnan_(a) ? y : x;
        }
        return from(nan_op(a, b, num ? 'A' : '+'));
    }
    u128 ka = mag ? a & ~SIGN : a, kb = mag ? b & ~SIGN : b;
    if (ka == kb) { /* equal magnitudes: by sign */
        ka = a;
        kb = b;
    }
    int first = max ? key(ka) >= key(kb) : key(ka) <= key(kb);
    return first ? x : y;
}
static Q q_fmaximum(Q x, Q y) { return pick(x, y, 1, 0, 0); }
static Q q_fminimum(Q x, Q y) { return pick(x, y, 0, 0, 0); }
static Q q_fmaximum_num(Q x, Q y) { return pick(x, y, 1, 0, 1); }
static Q q_fminimum_num(Q x, Q y) { return pick(x, y, 0, 0, 1); }
static Q q_fmaximum_mag(Q x, Q y) { return pick(x, y, 1, 1, 0); }
static Q q_fminimum_mag(Q x, Q y) { return pick(x, y, 0, 1, 0); }
static Q q_fmaximum_mag_num(Q x, Q y) { return pick(x, y, 1, 1, 1); }
static Q q_fminimum_mag_num(Q x, Q y) { return pick(x, y, 0, 1, 1); }

static Q q_nextup(Q x) {
    u128 u = bits(x);
    if (isnan_(u))
        return from(quiet(u));
    if ((u & ~SIGN) == 0)
        return from(1);
    if (u == EXPM)
        return x;
    return from(u & SIGN ? u - 1 : u + 1);
}
static Q q_nextdown(Q x) { return from(bits(q_nextup(from(bits(x) ^ SIGN))) ^ SIGN); }

/* nextafter: overflow and underflow (with inexact) and ERANGE as glibc's. */
static Q q_nextafter(Q x, Q y) {
    u128 a = bits(x), b = bits(y);
    if (isnan_(a) || isnan_(b))
        return from(nan2(a, b));
    if (a == b || ((a | b) << 1) == 0)
        return y;
    u128 r;
    if ((a & ~SIGN) == 0)
        r = (b & SIGN) | 1;
    else
        r = (lt(a, b) == !(a & SIGN)) ? a + 1 : a - 1;
    if ((r & ~SIGN) == EXPM) {
        raise_overflow();
        ERRNO = ERANGE;
    } else if ((r & EXPM) == 0) {
        raise_underflow();
        if (a << 1) /* from zero: the flags only */
            ERRNO = ERANGE;
    }
    return from(r);
}

/* The unbiased exponent and 113-bit significand of a finite nonzero pattern. */
static int unpack(u128 a, u128 *m) {
    a &= ~SIGN;
    int e = (int)(a >> 112);
    if (e == 0) {
        int s = clz128(a) - 15;
        *m = a << s;
        return 1 - 16383 - s;
    }
    *m = (a & MANT) | ((u128)1 << 112);
    return e - 16383;
}

static long logb_int(u128 u, long zero, long nan, long inf) {
    u128 a = u & ~SIGN, m;
    if (a == 0 || a >= EXPM) {
        ERRNO = EDOM;
        raise_invalid();
        return a == 0 ? zero : a == EXPM ? inf : nan;
    }
    return unpack(a, &m);
}
static int q_ilogb(Q x) { return (int)logb_int(bits(x), ILOGB0, ILOGBNAN, __INT_MAX__); }
static long q_llogb(Q x) { return logb_int(bits(x), LLOGB0, LLOGBNAN, __LONG_MAX__); }

/* An integer-valued exponent e as a binary128 value. */
static u128 from_int(long v) {
    if (v == 0)
        return 0;
    u128 s = v < 0 ? SIGN : 0;
    u64 m = v < 0 ? -(u64)v : (u64)v;
    int msb = 63 - __builtin_clzll(m);
    return s | ((u128)(16383 + msb) << 112) | (((u128)m << (112 - msb)) & MANT);
}
static Q q_logb(Q x) {
    u128 u = bits(x), a = u & ~SIGN, m;
    if (a == 0) {
        raise_divbyzero();
        return from(SIGN | EXPM);
    }
    if (a >= EXPM)
        return isnan_(u) ? from(quiet(u)) : from(EXPM);
    return from(from_int(unpack(a, &m)));
}

static Q q_frexp(Q x, int *e) {
    u128 u = bits(x), a = u & ~SIGN, m;
    *e = 0;
    if (a == 0 || a >= EXPM)
        return isnan_(u) ? from(quiet(u)) : x;
    int ex = unpack(a, &m);
    *e = ex + 1;
    return from((u & SIGN) | ((u128)0x3ffe << 112) | (m & MANT));
}

static Q q_modf(Q x, Q *ip) {
    u128 u = bits(x), a = u & ~SIGN;
    if (a >= EXPM) {
        if (isnan_(u)) {
            *ip = from(quiet(u));
            return *ip;
        }
        *ip = x;
        return from(u & SIGN);
    }
    int inexact;
    u128 i = round_int(u, RZ, &inexact);
    *ip = from(i);
    if (!inexact)
        return from(u & SIGN);
    /* The fraction: exact, normalized. */
    int e = (int)(a >> 112) - 16383;
    if (e < 0)
        return x;
    u128 f = a & (((u128)1 << (112 - e)) - 1);
    int s = clz128(f) - 15;
    return from((u & SIGN) | ((u128)(16383 + e - s) << 112) | ((f << s) & MANT));
}

/* ---- rounding an exact result ---- */

/* A format to round to: precision P (with the integer bit), exponent bits, exponent bias,
 * and whether the integer bit is stored (x87). */
struct fmt {
    int p, ebits, bias, explicit_bit;
};
static const struct fmt F128 = {113, 15, 16383, 0};
static const struct fmt F64 = {53, 11, 1023, 0};
static const struct fmt F32 = {24, 8, 127, 0};
#if defined(__x86_64__)
static const struct fmt F80 = {64, 15, 16383, 1};
#endif

static u128 pack(const struct fmt *f, int neg, int be, u128 q) {
    int shift = f->explicit_bit ? 64 : f->p - 1;
    if (!f->explicit_bit)
        q &= ((u128)1 << (f->p - 1)) - 1;
    return (u128)neg << (shift + f->ebits) | (u128)be << shift | q;
}

/* Round (-1)^neg * m * 2^e (m > 0; sticky: nonzero bits below m were lost) to format f in
 * rounding mode rm, raising inexact, underflow and overflow as glibc's soft-float code. */
static u128 round_pack(const struct fmt *f, int neg, u128 m, int e, int sticky, int rm) {
    int s = clz128(m), inf = (1 << f->ebits) - 1;
    m <<= s;
    e -= s;
    /* value = m * 2^e, m in [2^127, 2^128): biased exponent e + 127 + bias */
    long be = (long)e + 127 + f->bias;
    int sub = be < 1, tiny = sub;
    int drop = 128 - f->p + (sub ? (int)(1 - (be < -300 ? -300 : be)) : 0);
    u128 q = 0, rest = 0, half = (u128)1 << 127;
    if (drop < 128) {
        q = m >> drop;
        rest = m << (128 - drop);
    } else if (drop == 128) {
        rest = m;
    } else {
        sticky = 1;
    }
    int inexact = rest != 0 || sticky, up;
    switch (rm) {
    case RN: up = rest > half || (rest == half && (sticky || (q & 1))); break;
    case RU: up = inexact && !neg; break;
    case RD: up = inexact && neg; break;
    default: up = 0;
    }
    if (tiny && TINY_AFTER && be == 0) {
        /* tininess after rounding: would the value rounded to P bits reach 2^emin? */
        u128 qq = m >> (128 - f->p), rr = m << f->p;
        int u2;
        switch (rm) {
        case RN: u2 = rr > half || (rr == half && (sticky || (qq & 1))); break;
        case RU: u2 = (rr || sticky) && !neg; break;
        case RD: u2 = (rr || sticky) && neg; break;
        default: u2 = 0;
        }
        if (u2 && qq + 1 == (u128)1 << f->p)
            tiny = 0;
    }
    q += up;
    long outbe = sub ? 0 : be;
    if (sub) {
        if (q >> (f->p - 1))
            outbe = 1;
    } else if (q >> f->p) {
        q >>= 1;
        outbe++;
    }
    if (outbe >= inf) {
        raise_overflow();
        int to_inf = rm == RN || (rm == RU && !neg) || (rm == RD && neg);
        if (to_inf)
            return pack(f, neg, inf, f->explicit_bit ? (u128)1 << 63 : 0);
        return pack(f, neg, inf - 1, ((u128)1 << f->p) - 1);
    }
    if (inexact) {
        if (tiny)
            raise_underflow();
        else
            raise_inexact();
    }
    return pack(f, neg, (int)outbe, q);
}

/* soft-float's default NaN: x86 negative with the quiet bit, aarch64 all ones */
#if defined(__x86_64__)
#define DEFAULT_NAN (SIGN | EXPM | QUIET)
#else
#define DEFAULT_NAN (EXPM | MANT)
#endif

/* A binary128 NaN (quiet) in format f: the payload's top bits, as soft-float converts. */
static u128 cvt_nan(const struct fmt *f, u128 n) {
    int neg = (int)(n >> 127);
    u128 frac = n & MANT;
    if (f->explicit_bit)
        return pack(f, neg, (1 << f->ebits) - 1, ((u128)1 << 63) | (frac >> (112 - 63)));
    return pack(f, neg, (1 << f->ebits) - 1, frac >> (113 - f->p));
}
static u128 default_nan(const struct fmt *f) {
    raise_invalid();
    return cvt_nan(f, DEFAULT_NAN);
}
static u128 inf_of(const struct fmt *f, int neg) {
    return pack(f, neg, (1 << f->ebits) - 1, f->explicit_bit ? (u128)1 << 63 : 0);
}
static u128 zero_of(const struct fmt *f, int neg) { return pack(f, neg, 0, 0); }
/* A finite binary128 value rounded to f. */
static u128 narrow(const struct fmt *f, u128 a, int rm) {
    u128 m;
    if ((a & ~SIGN) == 0)
        return zero_of(f, (int)(a >> 127));
    int e = unpack(a, &m);
    return round_pack(f, (int)(a >> 127), m, e - 112, 0, rm);
}

static u128 add_r(const struct fmt *f, u128 a, u128 b, int rm, char op) {
    if (isnan_(a) || isnan_(b))
        return cvt_nan(f, nan_op(a, b, op));
    int sa = (int)(a >> 127), sb = (int)(b >> 127);
    if (isinf_(a) || isinf_(b)) {
        if (isinf_(a) && isinf_(b) && sa != sb)
            return default_nan(f);
        return inf_of(f, isinf_(a) ? sa : sb);
    }
    if (((a | b) << 1) == 0)
        return zero_of(f, sa == sb ? sa : rm == RD);
    if ((a << 1) == 0)
        return narrow(f, b, rm);
    if ((b << 1) == 0)
        return narrow(f, a, rm);
    u128 ma, mb;
    int ea = unpack(a, &ma), eb = unpack(b, &mb);
    if (eb > ea || (eb == ea && mb > ma)) {
        u128 t = ma; ma = mb; mb = t;
        int te = ea; ea = eb; eb = te;
        te = sa; sa = sb; sb = te;
    }
    ma <<= 14;
    mb <<= 14;
    int d = ea - eb, sticky = 0;
    if (d >= 128) {
        sticky = 1;
        mb = 0;
    } else if (d > 0) {
        sticky = (mb << (128 - d)) != 0;
        mb >>= d;
    }
    u128 m = sa == sb ? ma + mb : ma - mb - (u128)sticky;
    if (m == 0)
        return zero_of(f, rm == RD);
    return round_pack(f, sa, m, ea - 112 - 14, sticky, rm);
}

/* The 226-bit product of two 113-bit significands: hi, lo. */
static void mul113(u128 a, u128 b, u128 *hi, u128 *lo) {
    u64 ah = (u64)(a >> 64), al = (u64)a, bh = (u64)(b >> 64), bl = (u64)b;
    u128 l = (u128)al * bl, mid = (u128)ah * bl + (u128)al * bh, h = (u128)ah * bh;
    u128 l2 = l + (mid << 64);
    *hi = h + (mid >> 64) + (l2 < l);
    *lo = l2;
}

static u128 mul_r(const struct fmt *f, u128 a, u128 b, int rm) {
    if (isnan_(a) || isnan_(b))
        return cvt_nan(f, nan_op(a, b, '*'));
    int s = (int)((a ^ b) >> 127);
    int za = (a << 1) == 0, zb = (b << 1) == 0;
    if (isinf_(a) || isinf_(b))
        return za || zb ? default_nan(f) : inf_of(f, s);
    if (za || zb)
        return zero_of(f, s);
    u128 ma, mb, hi, lo;
    int e = unpack(a, &ma) + unpack(b, &mb);
    mul113(ma, mb, &hi, &lo);
    int sh = clz128(hi);
    u128 top = (hi << sh) | (lo >> (128 - sh));
    return round_pack(f, s, top, e - 224 + 128 - sh, (lo << sh) != 0, rm);
}

static u128 div_r(const struct fmt *f, u128 a, u128 b, int rm) {
    if (isnan_(a) || isnan_(b))
        return cvt_nan(f, nan_op(a, b, '/'));
    int s = (int)((a ^ b) >> 127);
    int za = (a << 1) == 0, zb = (b << 1) == 0;
    if (isinf_(a))
        return isinf_(b) ? default_nan(f) : inf_of(f, s);
    if (isinf_(b))
        return zero_of(f, s);
    if (zb) {
        if (za)
            return default_nan(f);
        raise_divbyzero();
        return inf_of(f, s);
    }
    if (za)
        return zero_of(f, s);
    u128 ma, mb, q = 0;
    int e = unpack(a, &ma) - unpack(b, &mb);
    if (ma < mb) {
        ma <<= 1;
        e--;
    }
    for (int i = 0; i < 116; i++) {
        q <<= 1;
        if (ma >= mb) {
            ma -= mb;
            q |= 1;
        }
        ma <<= 1;
    }
    return round_pack(f, s, q, e - 115, ma != 0, rm);
}

static u128 sqrt_r(const struct fmt *f, u128 a, int rm) {
    if (isnan_(a))
        return cvt_nan(f, quiet(a));
    if ((a << 1) == 0)
        return zero_of(f, (int)(a >> 127));
    if (a >> 127) {
#if defined(__aarch64__)
        if (f == &F128) { /* glibc's own sqrtl: the positive quiet NaN */
            raise_invalid();
            return EXPM | QUIET;
        }
#endif
        return default_nan(f);
    }
    if (isinf_(a))
        return inf_of(f, 0);
    u128 m, r = 0, q = 0;
    int e = unpack(a, &m) - 112;
    if (e & 1) {
        m <<= 1;
        e--;
    }
    for (int i = 114; i >= 0; i--) {
        int sh = 2 * i - 116;
        r = (r << 2) | (sh >= 0 ? (m >> sh) & 3 : 0);
        u128 t = (q << 2) | 1;
        q <<= 1;
        if (r >= t) {
            r -= t;
            q |= 1;
        }
    }
    return round_pack(f, 0, q, e / 2 - 58, r != 0, rm);
}

/* 256-bit helpers for fma: a value is h * 2^128 + l. */
static void shr256(u128 *h, u128 *l, int d, int *sticky) {
    if (d == 0)
        return;
    if (d >= 256) {
        *sticky |= (*h | *l) != 0;
        *h = *l = 0;
    } else if (d >= 128) {
        *sticky |= *l != 0 || (d > 128 && shl(*h, 256 - d) != 0);
        *l = d == 128 ? *h : shr(*h, d - 128);
        *h = 0;
    } else {
        *sticky |= shl(*l, 128 - d) != 0;
        *l = shr(*l, d) | shl(*h, 128 - d);
        *h = shr(*h, d);
    }
}

static u128 fma_r(const struct fmt *f, u128 a, u128 b, u128 c, int rm) {
    int sp = (int)((a ^ b) >> 127), sc = (int)(c >> 127);
    int za = (a << 1) == 0, zb = (b << 1) == 0;
    if (isnan_(a) || isnan_(b) || isnan_(c) || isinf_(a) || isinf_(b) || isinf_(c)) {
        u128 p;
        if (isnan_(a) || isnan_(b))
            p = nan2(a, b);
        else if ((isinf_(a) && zb) || (isinf_(b) && za)) {
            raise_invalid();
            p = DEFAULT_NAN;
        } else if (isinf_(a) || isinf_(b))
            p = ((u128)sp << 127) | EXPM;
        else
            p = (u128)sp << 127; /* finite: only its sign matters */
        if (isnan_(p) || isnan_(c))
            return cvt_nan(f, nan2(p, c));
        if (isinf_(p) && isinf_(c) && sp != sc)
            return default_nan(f);
        return inf_of(f, isinf_(p) ? sp : sc);
    }
    if (za || zb) {
        if ((c << 1) == 0)
            return zero_of(f, sp == sc ? sp : rm == RD);
        return narrow(f, c, rm);
    }
    if ((c << 1) == 0)
        return mul_r(f, a, b, rm);
    u128 ma, mb, mc, ph, pl;
    int ep = unpack(a, &ma) + unpack(b, &mb) - 224, ec = unpack(c, &mc) - 112;
    mul113(ma, mb, &ph, &pl);
    /* both with their top bit at bit 253 */
    int msb = 255 - clz128(ph);
    int sh = 253 - msb;
    ph = shl(ph, sh) | shr(pl, 128 - sh);
    pl = shl(pl, sh);
    ep -= sh;
    u128 ch = mc << 13, cl = 0;
    ec -= 141;
    int sticky = 0, s = sp;
    /* (xh, xl) the larger magnitude */
    int pbig = ep > ec || (ep == ec && (ph > ch || (ph == ch && pl >= cl)));
    u128 xh = pbig ? ph : ch, xl = pbig ? pl : cl, yh = pbig ? ch : ph, yl = pbig ? cl : pl;
    int ex = pbig ? ep : ec, d = pbig ? ep - ec : ec - ep;
    if (!pbig)
        s = sc;
    shr256(&yh, &yl, d, &sticky);
    u128 rh, rl;
    if (sp == sc) {
        rl = xl + yl;
        rh = xh + yh + (rl < xl);
    } else {
        rl = xl - yl;
        rh = xh - yh - (xl < yl);
        if (sticky) {
            rh -= rl == 0;
            rl -= 1;
        }
    }
    if ((rh | rl) == 0)
        return zero_of(f, rm == RD);
    int z = rh ? clz128(rh) : 128 + clz128(rl);
    u128 top;
    if (z >= 128) {
        top = rl;
        z = 128;
    } else if (z == 0) {
        top = rh;
        sticky |= rl != 0;
    } else {
        top = shl(rh, z) | shr(rl, 128 - z);
        sticky |= shl(rl, z) != 0;
    }
    return round_pack(f, s, top, ex + 128 - z, sticky, rm);
}

/* |x| mod |y| (x, y finite nonzero) by shift and subtract: the remainder's 113-bit
 * significand, its exponent in *e_out (y's, or x's when |x| < |y|), the quotient's low
 * three bits in *qbits. With nearest (remainder, remquo) a remainder above |y|/2 (or equal
 * with an odd quotient) becomes |y| minus it, flagged by the top bit: the sign flips. */
static u128 mod_r(u128 a, u128 b, int *qbits, int *e_out, int nearest) {
    u128 ma, mb;
    int ea = unpack(a, &ma), eb = unpack(b, &mb);
    unsigned q = 0;
    if (ea < eb) {
        *e_out = ea;
        if (nearest && ea == eb - 1 && ma > mb) { /* |y|/2 < |x| < |y| */
            *qbits = 1;
            return (2 * mb - ma) | (u128)1 << 127; /* flag: sign flips */
        }
        *qbits = 0;
        return ma;
    }
    if (ma >= mb) {
        ma -= mb;
        q = 1;
    }
    for (int i = ea - eb; i > 0; i--) {
        ma <<= 1;
        q <<= 1;
        if (ma >= mb) {
            ma -= mb;
            q |= 1;
        }
    }
    q &= 7;
    if (nearest && (2 * ma > mb || (2 * ma == mb && (q & 1)))) {
        ma = mb - ma;
        q++; /* 8 stays 8, as glibc's count does */
        ma |= (u128)1 << 127;
    }
    *qbits = (int)q;
    *e_out = eb;
    return ma;
}

static Q remainder_(Q x, Q y, int *quo, int nearest, int edom) {
    u128 a = bits(x), b = bits(y);
    if (isnan_(a) || isnan_(b))
        return from(nan2(a, b));
    if (isinf_(a) || (b << 1) == 0) {
        if (edom)
            ERRNO = EDOM;
        return from(default_nan(&F128));
    }
    *quo = 0; /* glibc leaves it unwritten for a NaN result */
    if (isinf_(b) || (a << 1) == 0)
        return x;
    int q, e;
    u128 m = mod_r(a, b, &q, &e, nearest);
    int neg = (int)(a >> 127) ^ (int)(m >> 127);
    m &= ~SIGN;
    *quo = (a ^ b) >> 127 ? -q : q;
    if (m == 0)
        return from(a & SIGN);
    return from(round_pack(&F128, neg, m, e - 112, 0, RN));
}
static Q q_fmod(Q x, Q y) { int q; return remainder_(x, y, &q, 0, 1); }
static Q q_remainder(Q x, Q y) { int q; return remainder_(x, y, &q, 1, 1); }
static Q q_remquo(Q x, Q y, int *quo) { return remainder_(x, y, quo, 1, 0); }

static int eq(u128 a, u128 b) { return !isnan_(a) && !isnan_(b) && (a == b || ((a | b) << 1) == 0); }
static int finite_(u128 a) { return (a & ~SIGN) < EXPM; }

static Q q_fdim(Q x, Q y) {
    u128 a = bits(x), b = bits(y);
    if (!isnan_(a) && !isnan_(b) && !gt(a, b))
        return from(0);
    u128 r = add_r(&F128, a, b ^ (isnan_(b) ? 0 : SIGN), mode(), '-');
    if (isinf_(r) && !isinf_(a) && !isinf_(b))
        ERRNO = ERANGE;
    return from(r);
}
static Q q_sqrt(Q x) {
    u128 a = bits(x);
    if (!isnan_(a) && (a >> 127) && (a << 1))
        ERRNO = EDOM;
    return from(sqrt_r(&F128, a, mode()));
}
static Q q_fma(Q x, Q y, Q z) { return from(fma_r(&F128, bits(x), bits(y), bits(z), mode())); }

/* The narrowing operations, with glibc's errno (math-narrow.h's CHECK_NARROW_*). */
static int r_isnan(const struct fmt *f, u128 r) {
    int sh = f->explicit_bit ? 64 : f->p - 1, inf = (1 << f->ebits) - 1;
    u128 frac = r & (((u128)1 << sh) - 1);
    if (f->explicit_bit)
        frac &= ~((u128)1 << 63);
    return (int)((r >> sh) & inf) == inf && frac;
}
static int r_isinf(const struct fmt *f, u128 r) {
    int sh = f->explicit_bit ? 64 : f->p - 1, inf = (1 << f->ebits) - 1;
    u128 frac = r & (((u128)1 << sh) - 1);
    if (f->explicit_bit)
        frac &= ~((u128)1 << 63);
    return (int)((r >> sh) & inf) == inf && !frac;
}
static int r_iszero(const struct fmt *f, u128 r) {
    return (r & (((u128)1 << (f->explicit_bit ? 79 : f->p - 1 + f->ebits)) - 1)) == 0;
}
static u128 narrow_add(const struct fmt *f, u128 a, u128 b, char op) {
    u128 r = add_r(f, a, b, mode(), op);
    if (r_isnan(f, r)) {
        if (!isnan_(a) && !isnan_(b))
            ERRNO = EDOM;
    } else if (r_isinf(f, r)) {
        if (finite_(a) && finite_(b))
            ERRNO = ERANGE;
    } else if (r_iszero(f, r) && !eq(a, b ^ SIGN))
        ERRNO = ERANGE;
    return r;
}
static u128 narrow_mul(const struct fmt *f, u128 a, u128 b) {
    u128 r = mul_r(f, a, b, mode());
    if (r_isnan(f, r)) {
        if (!isnan_(a) && !isnan_(b))
            ERRNO = EDOM;
    } else if (r_isinf(f, r)) {
        if (finite_(a) && finite_(b))
            ERRNO = ERANGE;
    } else if (r_iszero(f, r) && (a << 1) && (b << 1))
        ERRNO = ERANGE;
    return r;
}
static u128 narrow_div(const struct fmt *f, u128 a, u128 b) {
    u128 r = div_r(f, a, b, mode());
    if (r_isnan(f, r)) {
        if (!isnan_(a) && !isnan_(b))
            ERRNO = EDOM;
    } else if (r_isinf(f, r)) {
        if (finite_(a))
            ERRNO = ERANGE;
    } else if (r_iszero(f, r) && (a << 1) && !isinf_(b))
        ERRNO = ERANGE;
    return r;
}
static u128 narrow_sqrt(const struct fmt *f, u128 a) {
    u128 r = sqrt_r(f, a, mode());
    if (r_isnan(f, r)) {
        if (!isnan_(a))
            ERRNO = EDOM;
    } else if (r_isinf(f, r)) {
        if (!isinf_(a))
            ERRNO = ERANGE;
    } else if (r_iszero(f, r) && (a << 1))
        ERRNO = ERANGE;
    return r;
}
/* glibc 2.36's narrowing fma sets no errno. */
static u128 narrow_fma(const struct fmt *f, u128 a, u128 b, u128 c) {
    return fma_r(f, a, b, c, mode());
}
/* The measured NaN choice of glibc's narrowing x + y (same format: x + y as written). */
#define ADD_OP(f) ((f) == &F128 ? '+' : 'A')
static float to_f(u128 r) { unsigned u = (unsigned)r; float x; __builtin_memcpy(&x, &u, 4); return x; }
static double to_d(u128 r) { u64 u = (u64)r; double x; __builtin_memcpy(&x, &u, 8); return x; }
#define NARROW_FNS(T, conv, f, suffix)                                                    \
    static T add_##suffix(Q x, Q y) { return conv(narrow_add(f, bits(x), bits(y), ADD_OP(f))); }\
    static T sub_##suffix(Q x, Q y) {                                                     \
        u128 b = bits(y);                                                                 \
        return conv(narrow_add(f, bits(x), isnan_(b) ? b : b ^ SIGN, '-'));               \
    }                                                                                     \
    static T mul_##suffix(Q x, Q y) { return conv(narrow_mul(f, bits(x), bits(y))); }     \
    static T div_##suffix(Q x, Q y) { return conv(narrow_div(f, bits(x), bits(y))); }     \
    static T sqrt_##suffix(Q x) { return conv(narrow_sqrt(f, bits(x))); }                 \
    static T fma_##suffix(Q x, Q y, Q z) {                                                \
        return conv(narrow_fma(f, bits(x), bits(y), bits(z)));                            \
    }
NARROW_FNS(float, to_f, &F32, f32)
NARROW_FNS(double, to_d, &F64, f64)
#if defined(__x86_64__)
static X87 to_x87(u128 r) { X87 x = 0; __builtin_memcpy(&x, &r, 10); return x; }
NARROW_FNS(X87, to_x87, &F80, f64x)
#else
NARROW_FNS(Q, from, &F128, f64x)
#endif

/* ---- scaling ---- */
static Q scale(Q x, long n) {
    u128 u = bits(x), a = u & ~SIGN, m;
    if (isnan_(u))
        return from(quiet(u));
    if (a == 0 || a == EXPM)
        return x;
    if (n > 100000)
        n = 100000;
    if (n < -100000)
        n = -100000;
    int e = unpack(a, &m);
    return from(round_pack(&F128, (int)(u >> 127), m, e - 112 + (int)n, 0, mode()));
}
/* ldexp, scalbn and scalbln: ERANGE when a finite nonzero x gives zero or infinity. */
static Q q_scalbln(Q x, long n) {
    Q r = scale(x, n);
    u128 a = bits(x) & ~SIGN, ra = bits(r) & ~SIGN;
    if (a != 0 && a < EXPM && (ra == 0 || ra == EXPM))
        ERRNO = ERANGE;
    return r;
}
static Q q_scalbn(Q x, int n) { return q_scalbln(x, n); }
static Q q_ldexp(Q x, int n) { return q_scalbln(x, n); }

/* ---- payloads, classification, order ---- */
static Q q_getpayload(const Q *x) {
    u128 u = bits(*x);
    if (!isnan_(u))
        return from(SIGN | ONE); /* -1 */
    u128 p = u & (QUIET - 1);
    if (p == 0)
        return from(0);
    int msb = 127 - clz128(p);
    return from(((u128)(16383 + msb) << 112) | ((p << (112 - msb)) & MANT));
}
static int setpayload_(Q *x, Q payload, int sig) {
    u128 u = bits(payload);
    int e = (int)(u >> 112); /* with the sign: negative is too large */
    if (u == 0 && !sig) {
        *x = from(EXPM | QUIET);
        return 0;
    }
    if (e < 16383 || e >= 16383 + 111 || (u & MANT & (((u128)1 << (112 - (e - 16383))) - 1))) {
        *x = from(0);
        return 1;
    }
    u128 p = ((u & MANT) | ((u128)1 << 112)) >> (112 - (e - 16383));
    *x = from(EXPM | (sig ? 0 : QUIET) | p);
    return 0;
}
static int q_setpayload(Q *x, Q p) { return setpayload_(x, p, 0); }
static int q_setpayloadsig(Q *x, Q p) { return setpayload_(x, p, 1); }

extern unsigned long long strtoull(const char *, char **, int);
static Q q_nan(const char *tag) {
    const char *cp = tag;
    while ((*cp >= '0' && *cp <= '9') || (*cp >= 'A' && *cp <= 'Z') || (*cp >= 'a' && *cp <= 'z') || *cp == '_')
        cp++;
    u128 r = EXPM | QUIET;
    if (*cp == 0) {
        char *end;
        unsigned long long m = strtoull(tag, &end, 0);
        if (end == cp)
            r |= m;
    }
    return from(r);
}

static int q_totalorder(const Q *x, const Q *y) { return key(bits(*x)) <= key(bits(*y)); }
static int q_totalordermag(const Q *x, const Q *y) {
    return (bits(*x) & ~SIGN) <= (bits(*y) & ~SIGN);
}
static int q_canonicalize(Q *cx, const Q *x) {
    u128 u = bits(*x);
    *cx = from(isnan_(u) ? quiet(u) : u);
    return 0;
}
static int q_issignaling(Q x) { return issig_(bits(x)); }
static int q_iseqsig(Q x, Q y) {
    u128 a = bits(x), b = bits(y);
    if (isnan_(a) || isnan_(b)) {
        raise_invalid();
        ERRNO = EDOM;
        return 0;
    }
    return eq(a, b);
}
static int q_isinf(Q x) { u128 u = bits(x); return isinf_(u) ? (u >> 127 ? -1 : 1) : 0; }
static int q_isnan(Q x) { return isnan_(bits(x)); }
static int q_finite(Q x) { return finite_(bits(x)); }
static int q_signbit(Q x) { return (int)(bits(x) >> 127); }
static int q_fpclassify(Q x) {
    u128 a = bits(x) & ~SIGN;
    return a > EXPM ? 0 : a == EXPM ? 1 : a == 0 ? 2 : a < ((u128)1 << 112) ? 3 : 4;
}

static Q q_creal(CQ z) { return __real__ z; }
static Q q_cimag(CQ z) { return __imag__ z; }
static CQ q_conj(CQ z) {
    CQ r = z;
    __imag__ r = from(bits(__imag__ z) ^ SIGN);
    return r;
}
static CQ q_cproj(CQ z) {
    /* glibc's isinf on each part signals invalid for a signalling NaN (soft-float). */
    if (issig_(bits(__real__ z)) || (!isinf_(bits(__real__ z)) && issig_(bits(__imag__ z))))
        raise_invalid();
    if (isinf_(bits(__real__ z)) || isinf_(bits(__imag__ z))) {
        CQ r = z;
        __real__ r = from(EXPM);
        __imag__ r = from(bits(__imag__ z) & SIGN);
        return r;
    }
    return z;
}

/* ---- the exported names ---- */
#define ALIAS(name, impl) \
    extern __typeof__(impl) PF(name) __attribute__((alias(#impl)));
#define QFN(X) X(fabs) X(copysign) X(ceil) X(floor) X(trunc) X(round) X(rint) X(nearbyint) \
    X(lrint) X(lround) X(fmax) X(fmin) X(nextafter) X(frexp) X(ldexp) X(scalbn) X(scalbln)   \
    X(logb) X(ilogb) X(modf) X(nan) X(creal) X(cimag) X(conj) X(cproj) X(fdim) X(fma)         \
    X(sqrt) X(fmod) X(remainder) X(remquo)
#define NEWFN(X) X(roundeven) X(fmaxmag) X(fminmag) X(fmaximum) X(fminimum) X(fmaximum_num)   \
    X(fminimum_num) X(fmaximum_mag) X(fminimum_mag) X(fmaximum_mag_num) X(fminimum_mag_num)   \
    X(nextup) X(nextdown) X(llogb) X(totalorder) X(totalordermag) X(canonicalize)             \
    X(getpayload) X(setpayload) X(setpayloadsig)
/* Narrowing: result prefix, then the implementation suffix. */
#define NARROWS(X) X(f32, f32) X(f32x, f64) X(f64, f64) X(f64x, f64x)
#define OPS(X, r, impl) X(r, add, impl) X(r, sub, impl) X(r, mul, impl) X(r, div, impl)    \
    X(r, sqrt, impl) X(r, fma, impl)

#if defined(__x86_64__)
#define F128NAME(n) ALIAS(n##f128, q_##n)
QFN(F128NAME)
NEWFN(F128NAME)
ALIAS(llrintf128, q_lrint)
ALIAS(llroundf128, q_lround)
ALIAS(__fmodf128_finite, q_fmod)
ALIAS(__remainderf128_finite, q_remainder)
ALIAS(__sqrtf128_finite, q_sqrt)
ALIAS(__isinff128, q_isinf)
ALIAS(__isnanf128, q_isnan)
ALIAS(__finitef128, q_finite)
ALIAS(__fpclassifyf128, q_fpclassify)
ALIAS(__signbitf128, q_signbit)
ALIAS(__issignalingf128, q_issignaling)
ALIAS(__iseqsigf128, q_iseqsig)
#define NARROW_F128(r, op, impl) ALIAS(r##op##f128, op##_##impl)
#define EACH_NARROW(r, impl) OPS(NARROW_F128, r, impl)
NARROWS(EACH_NARROW)
#else
/* aarch64: the long double functions glibc 2.17 lacks, under their three names. */
#define LNAMES(n) ALIAS(n##l, q_##n) ALIAS(n##f64x, q_##n) ALIAS(n##f128, q_##n)
NEWFN(LNAMES)
ALIAS(__issignalingl, q_issignaling)
ALIAS(__iseqsigl, q_iseqsig)
/* fadd l = f32add f64x = f32add f128; dadd l = f64add/f32xadd f64x/f128; f64xadd f128. */
#define NARROW_L(r, op, impl) ALIAS(r##op##f64x, op##_##impl) ALIAS(r##op##f128, op##_##impl)
#define EACH_NARROW(r, impl) OPS(NARROW_L, r, impl)
EACH_NARROW(f32, f32)
EACH_NARROW(f32x, f64)
EACH_NARROW(f64, f64)
#define NARROW_128(r, op, impl) ALIAS(r##op##f128, op##_##impl)
OPS(NARROW_128, f64x, f64x)
#define NARROW_SHORT(r, op, impl) ALIAS(r##op##l, op##_##impl)
OPS(NARROW_SHORT, f, f32)
OPS(NARROW_SHORT, d, f64)
#endif
#endif /* __SIZEOF_LONG__ == 8 */
