/* The _FloatN names (f32: float, f64 and f32x: double) of the exact libm functions, NaN
 * payload functions and fromfp family, side by side with glibc's own: each name called on
 * the same values (signed zeros, subnormals, integers and halves, infinities, quiet and
 * signalling NaNs with payloads), every result printed as bits, with errno. The base
 * names are compared in math_exact.c, math_payload.c and fromfp.c; this shows each alias
 * reaches the function of its type. Build with -fno-builtin. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const uint32_t F[] = {0x00000000, 0x80000000, 0x00000001, 0x3f000000, 0xbfc00000,
                             0x40200000, 0x4b7fffff, 0x7f7fffff, 0x7f800000, 0xff800000,
                             0x7fc00000, 0x7fa00001, 0xffc00123};
static const uint64_t D[] = {0x0000000000000000, 0x8000000000000000, 0x0000000000000001,
                             0x3fe0000000000000, 0xbff8000000000000, 0x4004000000000000,
                             0x433fffffffffffff, 0x7fefffffffffffff, 0x7ff0000000000000,
                             0xfff0000000000000, 0x7ff8000000000000, 0x7ff4000000000001,
                             0xfff8000000000123};
#define NF (sizeof F / sizeof *F)
#define ND (sizeof D / sizeof *D)

static float f(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }
static double d(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }
static unsigned long long fb(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
static unsigned long long db(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }

/* T: the type, N: the name's suffix, V: the value from bits, B: bits of a value, C: count. */
#define TYPE(T, N, A, V, B, C)                                                             \
    static void all_##N(void) {                                                           \
        for (unsigned i = 0; i < C; i++) {                                                \
            T x = V(A[i]);                                                                 \
            printf(#N " nextup %llx nextdown %llx roundeven %llx llogb %ld\n",           \
                   B(nextup##N(x)), B(nextdown##N(x)), B(roundeven##N(x)), llogb##N(x)); \
            T c = 0;                                                                       \
            int r = canonicalize##N(&c, &x);                                               \
            printf(#N " canonicalize %d %llx getpayload %llx\n", r, B(c), B(getpayload##N(&x))); \
            errno = 0;                                                                     \
            r = setpayload##N(&c, x);                                                      \
            printf(#N " setpayload %d %llx", r, B(c));                                     \
            r = setpayloadsig##N(&c, x);                                                   \
            printf(" setpayloadsig %d %llx errno %d\n", r, B(c), errno);                   \
            for (int dir = 0; dir < 5; dir++) {                                           \
                errno = 0;                                                                 \
                long long a = (long long)fromfp##N(x, dir, 32);                            \
                long long b = (long long)fromfpx##N(x, dir, 64);                           \
                unsigned long long u = (unsigned long long)ufromfp##N(x, dir, 16);         \
                unsigned long long v = (unsigned long long)ufromfpx##N(x, dir, 63);        \
                printf(#N " fromfp %d: %lld %lld %llu %llu errno %d\n", dir, a, b, u, v, errno); \
            }                                                                              \
            for (unsigned j = 0; j < C; j++) {                                            \
                T y = V(A[j]);                                                             \
                printf(#N " %u %u: max %llx min %llx maxnum %llx minnum %llx maxmag %llx minmag %llx" \
                       " maxmagnum %llx minmagnum %llx fmaxmag %llx fminmag %llx to %d tom %d\n", \
                       i, j, B(fmaximum##N(x, y)), B(fminimum##N(x, y)),                 \
                       B(fmaximum_num##N(x, y)), B(fminimum_num##N(x, y)),               \
                       B(fmaximum_mag##N(x, y)), B(fminimum_mag##N(x, y)),               \
                       B(fmaximum_mag_num##N(x, y)), B(fminimum_mag_num##N(x, y)),       \
                       B(fmaxmag##N(x, y)), B(fminmag##N(x, y)), totalorder##N(&x, &y),  \
                       totalordermag##N(&x, &y));                                          \
            }                                                                              \
        }                                                                                  \
    }
TYPE(_Float32, f32, F, f, fb, NF)
TYPE(_Float64, f64, D, d, db, ND)
TYPE(_Float32x, f32x, D, d, db, ND)

int main(void) {
    all_f32();
    all_f64();
    all_f32x();
    return 0;
}
