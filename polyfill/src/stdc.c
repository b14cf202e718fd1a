/* glibc 2.39's C23 <stdbit.h> functions: the values glibc's own inline definitions give
 * (stdlib/stdbit.h), for unsigned char, short, int, long and long long (_uc ... _ull).
 * The count of ones is computed here: __builtin_popcount would call libgcc. */
#include "common.h"
typedef unsigned long long u64;

#if defined(__riscv)
/* riscv64 without Zbb (Debian's RV64GC baseline): __builtin_clzll and __builtin_ctzll would
 * call libgcc's __clzdi2 and __ctzdi2, which no glibc exports. Halving search instead. */
static unsigned clz64(u64 x) {
    unsigned n = 0;
    if (!x)
        return 64;
    for (unsigned s = 32; s; s >>= 1)
        if (!(x >> (64 - s))) {
            x <<= s;
            n += s;
        }
    return n;
}
static unsigned ctz64(u64 x) {
    unsigned n = 0;
    if (!x)
        return 64;
    for (unsigned s = 32; s; s >>= 1)
        if (!(x << (64 - s))) {
            x >>= s;
            n += s;
        }
    return n;
}
#else
static unsigned clz64(u64 x) { return x ? (unsigned)__builtin_clzll(x) : 64; }
#endif
#if defined(__riscv)
#elif __SIZEOF_LONG__ == 8
static unsigned ctz64(u64 x) { return x ? (unsigned)__builtin_ctzll(x) : 64; }
#else
/* 32-bit targets: __builtin_ctzll would call libgcc's __ctzdi2, which no glibc exports. */
static unsigned ctz64(u64 x) {
    unsigned lo = (unsigned)x, hi = (unsigned)(x >> 32);
    return lo ? (unsigned)__builtin_ctz(lo) : hi ? 32 + (unsigned)__builtin_ctz(hi) : 64;
}
#endif
static unsigned ones64(u64 x) {
    x = x - ((x >> 1) & 0x5555555555555555ULL);
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
    return (unsigned)((x * 0x0101010101010101ULL) >> 56);
}

/* Each function on the value widened to 64 bits, with the type's width W. */
static unsigned leading_zeros(u64 x, unsigned w) { return clz64(x) - (64 - w); }
static u64 mask(unsigned w) { return w == 64 ? ~0ULL : (1ULL << w) - 1; }
static unsigned leading_ones(u64 x, unsigned w) { return leading_zeros(~x & mask(w), w); }
static unsigned trailing_zeros(u64 x, unsigned w) { return x ? ctz64(x) : w; }
static unsigned trailing_ones(u64 x, unsigned w) { return trailing_zeros(~x & mask(w), w); }
static unsigned first_leading_zero(u64 x, unsigned w) { return x == mask(w) ? 0 : leading_ones(x, w) + 1; }
static unsigned first_leading_one(u64 x, unsigned w) { return x ? leading_zeros(x, w) + 1 : 0; }
static unsigned first_trailing_zero(u64 x, unsigned w) { return x == mask(w) ? 0 : trailing_ones(x, w) + 1; }
static unsigned first_trailing_one(u64 x, unsigned w) { (void)w; return x ? ctz64(x) + 1 : 0; }
static unsigned count_zeros(u64 x, unsigned w) { return w - ones64(x); }
static unsigned count_ones(u64 x, unsigned w) { (void)w; return ones64(x); }
static _Bool has_single_bit(u64 x, unsigned w) { (void)w; return x && !(x & (x - 1)); }
static unsigned bit_width(u64 x, unsigned w) { return w - leading_zeros(x, w); }
static u64 bit_floor(u64 x, unsigned w) { return x ? 1ULL << (bit_width(x, w) - 1) : 0; }
/* The smallest power of two >= x; 0 when it does not fit the type (glibc's
 * __bcNN_inline: x <= 1 ? 1 : 2 << (W - 1 - clz (x - 1)), truncated to the type). */
static u64 bit_ceil(u64 x, unsigned w) {
    if (x <= 1)
        return 1;
    unsigned shift = bit_width(x - 1, w);
    return shift >= w ? 0 : 1ULL << shift;
}

#define ONE(op, ret, suffix, type, w) \
    EXPORT ret PF(stdc_##op##_##suffix)(type x) { return (ret)op((u64)x, w); }
#define ALL(op, ret_is_type)                                                       \
    ONE(op, ret_is_type(unsigned char), uc, unsigned char, 8)                      \
    ONE(op, ret_is_type(unsigned short), us, unsigned short, 16)                   \
    ONE(op, ret_is_type(unsigned int), ui, unsigned int, 32)                       \
    ONE(op, ret_is_type(unsigned long), ul, unsigned long, __SIZEOF_LONG__ * 8)                     \
    ONE(op, ret_is_type(unsigned long long), ull, unsigned long long, 64)
#define UINT(t) unsigned int
#define BOOL(t) _Bool
#define SAME(t) t
ALL(leading_zeros, UINT)
ALL(leading_ones, UINT)
ALL(trailing_zeros, UINT)
ALL(trailing_ones, UINT)
ALL(first_leading_zero, UINT)
ALL(first_leading_one, UINT)
ALL(first_trailing_zero, UINT)
ALL(first_trailing_one, UINT)
ALL(count_zeros, UINT)
ALL(count_ones, UINT)
ALL(has_single_bit, BOOL)
ALL(bit_width, UINT)
ALL(bit_floor, SAME)
ALL(bit_ceil, SAME)
