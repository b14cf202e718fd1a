/* The C23 integer conversions of glibc 2.38 (__isoc23_strtol and its 15 siblings, which
 * read "0b"/"0B" binary digits with base 0 or 2) side by side with glibc's own: built
 * against trixie's libc.so.6 (glibc 2.41) and run under it for the reference, then patched
 * and run on older glibc (tests/polyfill_arches.rs). The headers at hand predate 2.38, so
 * the names are bound here with asm labels. Every case in every base, with the value, how
 * much was read and errno. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define NARROW(r, n) extern r c23_##n(const char *, char **, int) __asm__("__isoc23_" #n);
#define NARROW_L(r, n) extern r c23_##n(const char *, char **, int, locale_t) __asm__("__isoc23_" #n);
#define WIDE(r, n) extern r c23_##n(const wchar_t *, wchar_t **, int) __asm__("__isoc23_" #n);
NARROW(long, strtol)
NARROW(unsigned long, strtoul)
NARROW(long long, strtoll)
NARROW(unsigned long long, strtoull)
NARROW(intmax_t, strtoimax)
NARROW(uintmax_t, strtoumax)
NARROW_L(long, strtol_l)
NARROW_L(unsigned long, strtoul_l)
NARROW_L(long long, strtoll_l)
NARROW_L(unsigned long long, strtoull_l)
WIDE(long, wcstol)
WIDE(unsigned long, wcstoul)
WIDE(long long, wcstoll)
WIDE(unsigned long long, wcstoull)
WIDE(intmax_t, wcstoimax)
WIDE(uintmax_t, wcstoumax)

static locale_t c_locale;

/* One call: the result (as a signed or unsigned long long), the characters read (-1: the end
 * pointer left as it was), errno. */
#define SHOW(name, T, call, start, end)                                                           \
    do {                                                                                          \
        end = NULL;                                                                               \
        errno = 0;                                                                                \
        T v = call;                                                                               \
        int e = errno;                                                                            \
        if ((T)-1 < (T)0)                                                                         \
            printf(" " name "=%lld/%d/%d", (long long)v, end ? (int)(end - start) : -1, e);       \
        else                                                                                      \
            printf(" " name "=%llu/%d/%d", (unsigned long long)v, end ? (int)(end - start) : -1, e);\
    } while (0)

static void narrow(const char *s, int base) {
    char *end;
    printf("\"%s\" base %d:", s, base);
    SHOW("strtol", long, c23_strtol(s, &end, base), s, end);
    SHOW("strtoul", unsigned long, c23_strtoul(s, &end, base), s, end);
    SHOW("strtoll", long long, c23_strtoll(s, &end, base), s, end);
    SHOW("strtoull", unsigned long long, c23_strtoull(s, &end, base), s, end);
    SHOW("strtoimax", intmax_t, c23_strtoimax(s, &end, base), s, end);
    SHOW("strtoumax", uintmax_t, c23_strtoumax(s, &end, base), s, end);
    SHOW("strtol_l", long, c23_strtol_l(s, &end, base, c_locale), s, end);
    SHOW("strtoul_l", unsigned long, c23_strtoul_l(s, &end, base, c_locale), s, end);
    SHOW("strtoll_l", long long, c23_strtoll_l(s, &end, base, c_locale), s, end);
    SHOW("strtoull_l", unsigned long long, c23_strtoull_l(s, &end, base, c_locale), s, end);
    printf("\n");
}

static void wide(const char *s, int base) {
    wchar_t w[160], *end;
    mbstowcs(w, s, sizeof w / sizeof *w);
    printf("L\"%s\" base %d:", s, base);
    SHOW("wcstol", long, c23_wcstol(w, &end, base), w, end);
    SHOW("wcstoul", unsigned long, c23_wcstoul(w, &end, base), w, end);
    SHOW("wcstoll", long long, c23_wcstoll(w, &end, base), w, end);
    SHOW("wcstoull", unsigned long long, c23_wcstoull(w, &end, base), w, end);
    SHOW("wcstoimax", intmax_t, c23_wcstoimax(w, &end, base), w, end);
    SHOW("wcstoumax", uintmax_t, c23_wcstoumax(w, &end, base), w, end);
    printf("\n");
}

int main(void) {
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    const char *cases[] = {
        "0b101", "  -0B11x", "+0b", "0b2", "0b", "0B", "-0b", "0b_1", "0x1f", "0X", "0xg", "017", "08", "42",
        "", "   ", "-", "+", "z", "Z9", "\t+0b1010 tail", "0b0000000000000000000000000000000000000000000000000000000001",
        "0b11111111111111111111111111111111", "0b111111111111111111111111111111111",
        "-0b10000000000000000000000000000000", "-0b10000000000000000000000000000001",
        "0b1111111111111111111111111111111111111111111111111111111111111111",
        "0b11111111111111111111111111111111111111111111111111111111111111111",
        "-0b1000000000000000000000000000000000000000000000000000000000000000",
        "-0b1000000000000000000000000000000000000000000000000000000000000001",
        "2147483648", "-2147483649", "4294967296", "9223372036854775808", "-9223372036854775809",
        "18446744073709551616", "-1", "-0b1",
    };
    const int bases[] = {0, 2, 8, 10, 16, 36, 1, 37, -1};
    for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++)
        for (unsigned b = 0; b < sizeof bases / sizeof *bases; b++) {
            narrow(cases[i], bases[b]);
            wide(cases[i], bases[b]);
        }
    return 0;
}
