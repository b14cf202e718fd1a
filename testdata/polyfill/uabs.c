/* The uabs family (glibc 2.42: uabs, ulabs, ullabs, uimaxabs; 2.43: umaxabs): the
 * magnitude as the unsigned type, exact for the most negative value. No Debian glibc has
 * them: linked against stub libraries of 2.43, the program checks each result against the
 * value C2y defines, prints it, and exits 1 on a failure ("FAIL" on stderr). */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>

extern unsigned int uabs(int);
extern unsigned long ulabs(long);
extern unsigned long long ullabs(long long);
extern uintmax_t uimaxabs(intmax_t);
extern uintmax_t umaxabs(intmax_t);

static int failed;
#define CHECK(call, want)                                                              \
    do {                                                                               \
        unsigned long long got = (call), w = (want);                                   \
        printf("%s = %llu\n", #call, got);                                             \
        if (got != w) {                                                                \
            fprintf(stderr, "FAIL %s = %llu, want %llu\n", #call, got, w);             \
            failed = 1;                                                                \
        }                                                                              \
    } while (0)

int main(void) {
    CHECK(uabs(0), 0);
    CHECK(uabs(-7), 7);
    CHECK(uabs(INT_MAX), (unsigned)INT_MAX);
    CHECK(uabs(INT_MIN), 1u << 31);
    CHECK(ulabs(-1L), 1);
    CHECK(ulabs(LONG_MAX), (unsigned long)LONG_MAX);
    CHECK(ulabs(LONG_MIN), (unsigned long)LONG_MAX + 1);
    CHECK(ullabs(LLONG_MIN), (unsigned long long)LLONG_MAX + 1);
    CHECK(ullabs(-123456789012LL), 123456789012ULL);
    CHECK(uimaxabs(INTMAX_MIN), (uintmax_t)INTMAX_MAX + 1);
    CHECK(uimaxabs(42), 42);
    CHECK(umaxabs(INTMAX_MIN), (uintmax_t)INTMAX_MAX + 1);
    CHECK(umaxabs(-42), 42);
    return failed;
}
