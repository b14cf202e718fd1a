/* The C23 narrowing operations (glibc 2.28, 2.35): fadd fsub fmul fdiv ffma fsqrt (double
 * to float) on both architectures, and on x86_64 the x87 long double ones (faddl ...
 * to float, daddl ... to double), with their _FloatN names. One rounding, as glibc's
 * math-narrow.h does it: the operation in the wide type rounded toward zero with the
 * exceptions held, the inexact flag ORed into the last bit (round to odd, which the one
 * conversion to the narrow type then rounds correctly, since the wide type has at least
 * two more bits), the held exceptions merged back. An exact zero sum is computed in the
 * caller's rounding mode (its sign depends on it). errno as glibc's CHECK_NARROW_*: ERANGE
 * for a finite operation that overflows or gives zero, EDOM for a NaN from non-NaN
 * operands; none for fma (glibc bug 6801). The f32x-from-f64 names only round once
 * anyway: the operation with those errno rules (f32xsqrtf64 and f32xfmaf64 are sqrt and
 * fma in glibc). The exceptions of the rounded-to-odd step are merged back as glibc's
 * libc_feupdateenv_test does: raised again through feraiseexcept where a trap is enabled
 * (always for the x87). */
#include "common.h"
/* Not on 32-bit targets yet: written and tested for x86_64 and aarch64 (their long double,
 * FPU control registers and intmax_t returns); i386 and armhf keep these as blockers. */
#if __SIZEOF_LONG__ == 8
typedef unsigned long long u64;

#define EDOM 33
#define ERANGE 34
#define ALIAS(name, target) \
    extern __typeof__(PF(target)) PF(name) __attribute__((alias("__elfcompat_pf_" #target)));

extern double fma(double, double, double);
extern double sqrt(double);
extern int feraiseexcept(int);

/* The double operations as single instructions, in glibc's operand order (the NaN an
 * operation returns depends on it), and the double exception environment. */
#if defined(__x86_64__)
#define OP2(name, insn)                                                                   \
    static double name(double x, double y) {                                              \
        __asm__ volatile(insn " %1, %0" : "+x"(x) : "x"(y));                              \
        return x;                                                                         \
    }
OP2(add_d, "addsd")
OP2(sub_d, "subsd")
OP2(mul_d, "mulsd")
OP2(div_d, "divsd")
static double sqrt_d(double x) {
    double r;
    __asm__ volatile("sqrtsd %1, %0" : "=x"(r) : "x"(x));
    return r;
}
static float narrow_d(double x) {
    float r;
    __asm__ volatile("cvtsd2ss %1, %0" : "=x"(r) : "x"(x));
    return r;
}
#define INEXACT 0x20u
#define ALL_EXCEPT 0x3du
#define ODD_ADD(x, y) add_d(x, y)
typedef unsigned env_d;
/* MXCSR: flags cleared, every exception masked, rounding toward zero. */
static void hold_d(env_d *e) {
    unsigned m;
    __asm__ volatile("stmxcsr %0" : "=m"(m) : : "memory");
    *e = m;
    m = (m & ~0x3fu) | 0x1f80u | 0x6000u;
    __asm__ volatile("ldmxcsr %0" : : "m"(m) : "memory");
}
static unsigned update_d(const env_d *e) {
    unsigned m;
    __asm__ volatile("stmxcsr %0" : "=m"(m) : : "memory");
    unsigned raised = m & ALL_EXCEPT;
    m = *e | raised;
    __asm__ volatile("ldmxcsr %0" : : "m"(m) : "memory");
    if (~(*e >> 7) & raised) /* a trap the caller enabled */
        feraiseexcept((int)raised);
    return raised;
}
#elif defined(__aarch64__)
#define OP2(name, insn)                                                                   \
    static double name(double x, double y) {                                              \
        double r;                                                                         \
        __asm__ volatile(insn " %d0, %d1, %d2" : "=w"(r) : "w"(x), "w"(y));               \
        return r;                                                                         \
    }
OP2(add_d, "fadd")
OP2(sub_d, "fsub")
OP2(mul_d, "fmul")
OP2(div_d, "fdiv")
static double sqrt_d(double x) {
    double r;
    __asm__ volatile("fsqrt %d0, %d1" : "=w"(r) : "w"(x));
    return r;
}
static float narrow_d(double x) {
    float r;
    __asm__ volatile("fcvt %s0, %d1" : "=w"(r) : "w"(x));
    return r;
}
#define INEXACT 0x10u
/* glibc's aarch64 fadd adds y + x in the rounded-to-odd step (the compiler commuted it):
 * of two quiet NaNs, y's comes back (measured). */
#define ODD_ADD(x, y) add_d(y, x)
typedef struct {
    u64 fpcr, fpsr;
} env_d;
/* FPSR flags cleared; FPCR: traps off, rounding toward zero. */
static void hold_d(env_d *e) {
    u64 c, s;
    __asm__ volatile("mrs %0, fpcr" : "=r"(c) : : "memory");
    __asm__ volatile("mrs %0, fpsr" : "=r"(s) : : "memory");
    e->fpcr = c;
    e->fpsr = s;
    c = (c & ~((3ull << 22) | 0x9f00ull)) | (3ull << 22);
    __asm__ volatile("msr fpsr, %0" : : "r"(s & ~0x9full) : "memory");
    __asm__ volatile("msr fpcr, %0" : : "r"(c) : "memory");
}
static unsigned update_d(const env_d *e) {
    u64 s;
    __asm__ volatile("mrs %0, fpsr" : "=r"(s) : : "memory");
    unsigned raised = (unsigned)(s & 0x1full);
    __asm__ volatile("msr fpcr, %0" : : "r"(e->fpcr) : "memory");
    __asm__ volatile("msr fpsr, %0" : : "r"(e->fpsr | raised) : "memory");
    if (raised & (e->fpcr >> 8)) /* a trap the caller enabled */
        feraiseexcept((int)raised);
    return raised;
}
#endif

static u64 bits_d(double x) { u64 u; __builtin_memcpy(&u, &x, 8); return u; }
static double from_d(u64 u) { double x; __builtin_memcpy(&x, &u, 8); return x; }

enum op { ADD, SUB, MUL, DIV, FMA, SQRT };

/* The operation rounded to odd in double. */
static double odd_d(enum op op, double x, double y, double z) {
    env_d e;
    double r;
    hold_d(&e);
    switch (op) {
    case ADD: r = ODD_ADD(x, y); break;
    case SUB: r = sub_d(x, y); break;
    case MUL: r = mul_d(x, y); break;
    case DIV: r = div_d(x, y); break;
    case FMA: r = fma(x, y, z); break;
    default: r = sqrt_d(x); break;
    }
    if (update_d(&e) & INEXACT)
        r = from_d(bits_d(r) | 1);
    return r;
}

/* glibc's CHECK_NARROW_* on a result R of operands x, y (and the kind of operation). */
#define CHECK(R, x, y, op)                                                                \
    do {                                                                                  \
        if (op == FMA)                                                                    \
            break;                                                                        \
        if (!__builtin_isfinite(R)) {                                                     \
            if (__builtin_isnan(R)) {                                                     \
                if (!__builtin_isnan(x) && (op == SQRT || !__builtin_isnan(y)))           \
                    ERRNO = EDOM;                                                         \
            } else if (__builtin_isfinite(x) && (op == DIV || op == SQRT || __builtin_isfinite(y))) \
                ERRNO = ERANGE;                                                           \
        } else if ((R) == 0 && (op == ADD   ? (x) != -(y)                                 \
                                : op == SUB ? (x) != (y)                                  \
                                : op == MUL ? (x) != 0 && (y) != 0                        \
                                : op == DIV ? (x) != 0 && !__builtin_isinf(y)             \
                                            : (x) != 0))                                  \
            ERRNO = ERANGE;                                                               \
    } while (0)

static float narrow_f(enum op op, double x, double y, double z) {
    float r;
    if ((op == ADD && x == -y) || (op == SUB && x == y))
        r = narrow_d(op == ADD ? add_d(x, y) : sub_d(x, y));
    else if (op == FMA) {
        double t = odd_d(FMA, x, y, z);
        r = narrow_d(t == 0 ? add_d(mul_d(x, y), z) : t);
    } else
        r = narrow_d(odd_d(op, x, y, z));
    CHECK(r, x, y, op);
    return r;
}

EXPORT float PF(fadd)(double x, double y) { return narrow_f(ADD, x, y, 0); }
EXPORT float PF(fsub)(double x, double y) { return narrow_f(SUB, x, y, 0); }
EXPORT float PF(fmul)(double x, double y) { return narrow_f(MUL, x, y, 0); }
EXPORT float PF(fdiv)(double x, double y) { return narrow_f(DIV, x, y, 0); }
EXPORT float PF(ffma)(double x, double y, double z) { return narrow_f(FMA, x, y, z); }
EXPORT float PF(fsqrt)(double x) { return narrow_f(SQRT, x, 0, 0); }

/* Double to double: one rounding already (glibc's NARROW_*_TRIVIAL). */
static double same_d(enum op op, double x, double y) {
    double r = op == ADD ? add_d(x, y) : op == SUB ? sub_d(x, y) : op == MUL ? mul_d(x, y) : div_d(x, y);
    CHECK(r, x, y, op);
    return r;
}
EXPORT double PF(f32xaddf64)(double x, double y) { return same_d(ADD, x, y); }
EXPORT double PF(f32xsubf64)(double x, double y) { return same_d(SUB, x, y); }
EXPORT double PF(f32xmulf64)(double x, double y) { return same_d(MUL, x, y); }
EXPORT double PF(f32xdivf64)(double x, double y) { return same_d(DIV, x, y); }
EXPORT double PF(f32xfmaf64)(double x, double y, double z) { return fma(x, y, z); }
EXPORT double PF(f32xsqrtf64)(double x) { return sqrt(x); }

#define FLOAT_DOUBLE(op) ALIAS(f32##op##f64, f##op) ALIAS(f32##op##f32x, f##op)
FLOAT_DOUBLE(add)
FLOAT_DOUBLE(sub)
FLOAT_DOUBLE(mul)
FLOAT_DOUBLE(div)
FLOAT_DOUBLE(fma)
FLOAT_DOUBLE(sqrt)

#if defined(__x86_64__)
/* x87 long double: the operations on the x87 stack, its control and status words for the
 * environment (glibc's libc_feholdexcept_setroundl on x86_64 touches only the x87). */
extern long double fmal(long double, long double, long double);

typedef struct {
    unsigned short cw, r0, sw, r1, tw, r2;
    unsigned ip;
    unsigned short cs, opc;
    unsigned dp;
    unsigned short ds, r3;
} env_l;
static void hold_l(env_l *e) {
    unsigned short cw;
    /* fnstenv masks every exception as a side effect; the saved copy keeps the caller's. */
    __asm__ volatile("fnstenv %0" : "=m"(*e) : : "memory");
    __asm__ volatile("fnclex" : : : "memory");
    cw = (unsigned short)(e->cw | 0x3f | 0xc00);
    __asm__ volatile("fldcw %0" : : "m"(cw) : "memory");
}
/* As glibc: the caller's environment back, then the exceptions raised again (a trap
 * the caller enabled fires). */
static unsigned update_l(const env_l *e) {
    unsigned short sw;
    __asm__ volatile("fnstsw %0" : "=m"(sw) : : "memory");
    __asm__ volatile("fldenv %0" : : "m"(*e) : "memory");
    feraiseexcept(sw & ALL_EXCEPT);
    return sw & ALL_EXCEPT;
}

/* Each operation between volatile accesses, so that it stays inside the held
 * environment; x87 picks between two NaNs by significand, whatever their order. */
static long double op_l(enum op op, long double x, long double y, long double z) {
    volatile long double a = x, b = y, r;
    switch (op) {
    case ADD: r = a + b; break;
    case SUB: r = a - b; break;
    case MUL: r = a * b; break;
    case DIV: r = a / b; break;
    case FMA: r = fmal(a, b, z); break;
    default: {
        long double v = a, s;
        __asm__ volatile("fsqrt" : "=t"(s) : "0"(v));
        r = s;
    }
    }
    return r;
}
static long double odd_l(enum op op, long double x, long double y, long double z) {
    env_l e;
    hold_l(&e);
    volatile long double r = op_l(op, x, y, z);
    long double v = r;
    if (update_l(&e) & INEXACT) {
        u64 m;
        __builtin_memcpy(&m, &v, 8);
        m |= 1;
        __builtin_memcpy(&v, &m, 8);
    }
    return v;
}
/* The wide result before its conversion: glibc's steps for each operation. */
static long double wide_l(enum op op, long double x, long double y, long double z) {
    if ((op == ADD && x == -y) || (op == SUB && x == y))
        return op_l(op, x, y, 0);
    if (op == FMA) {
        long double t = odd_l(FMA, x, y, z);
        if (t == 0) {
            volatile long double p = op_l(MUL, x, y, 0);
            return op_l(ADD, p, z, 0);
        }
        return t;
    }
    return odd_l(op, x, y, z);
}
static float narrow_lf(enum op op, long double x, long double y, long double z) {
    volatile long double w = wide_l(op, x, y, z);
    volatile float r = (float)w;
    float v = r;
    CHECK(v, x, y, op);
    return v;
}
static double narrow_ld(enum op op, long double x, long double y, long double z) {
    volatile long double w = wide_l(op, x, y, z);
    volatile double r = (double)w;
    double v = r;
    CHECK(v, x, y, op);
    return v;
}

#define LDOUBLE(op, OP)                                                                    \
    EXPORT float PF(f##op##l)(long double x, long double y) { return narrow_lf(OP, x, y, 0); } \
    EXPORT double PF(d##op##l)(long double x, long double y) { return narrow_ld(OP, x, y, 0); } \
    ALIAS(f32##op##f64x, f##op##l)                                                         \
    ALIAS(f32x##op##f64x, d##op##l)                                                        \
    ALIAS(f64##op##f64x, d##op##l)
LDOUBLE(add, ADD)
LDOUBLE(sub, SUB)
LDOUBLE(mul, MUL)
LDOUBLE(div, DIV)
EXPORT float PF(ffmal)(long double x, long double y, long double z) { return narrow_lf(FMA, x, y, z); }
EXPORT double PF(dfmal)(long double x, long double y, long double z) { return narrow_ld(FMA, x, y, z); }
EXPORT float PF(fsqrtl)(long double x) { return narrow_lf(SQRT, x, 0, 0); }
EXPORT double PF(dsqrtl)(long double x) { return narrow_ld(SQRT, x, 0, 0); }
ALIAS(f32fmaf64x, ffmal)
ALIAS(f32xfmaf64x, dfmal)
ALIAS(f64fmaf64x, dfmal)
ALIAS(f32sqrtf64x, fsqrtl)
ALIAS(f32xsqrtf64x, dsqrtl)
ALIAS(f64sqrtf64x, dsqrtl)
#endif
#endif /* __SIZEOF_LONG__ == 8 */
