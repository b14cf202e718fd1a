/* The sixteen C23 conversions of glibc 2.38 (__isoc23_strtol and friends: long, long long,
 * unsigned, intmax_t, with and without a locale, narrow and wide), side by side with
 * glibc's own: linked against trixie's glibc 2.41 and run under it for the reference, then
 * patched to 2.17 and run on the polyfills. Declared here under their symbol names (the
 * redirections C23's <stdlib.h> makes; older headers do not). Each case prints the value,
 * where the conversion stopped and whether errno is ERANGE or EINVAL. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#define NARROW(T, name) extern T c23_##name(const char *, char **, int) __asm__("__isoc23_" #name);
#define NARROW_L(T, name) \
    extern T c23_##name(const char *, char **, int, locale_t) __asm__("__isoc23_" #name);
#define WIDE(T, name) extern T c23_##name(const wchar_t *, wchar_t **, int) __asm__("__isoc23_" #name);
NARROW(long, strtol)
NARROW(long long, strtoll)
NARROW(unsigned long, strtoul)
NARROW(unsigned long long, strtoull)
NARROW(intmax_t, strtoimax)
NARROW(uintmax_t, strtoumax)
NARROW_L(long, strtol_l)
NARROW_L(long long, strtoll_l)
NARROW_L(unsigned long, strtoul_l)
NARROW_L(unsigned long long, strtoull_l)
WIDE(long, wcstol)
WIDE(long long, wcstoll)
WIDE(unsigned long, wcstoul)
WIDE(unsigned long long, wcstoull)
WIDE(intmax_t, wcstoimax)
WIDE(uintmax_t, wcstoumax)

static const char *CASES[] = {
    "0b101", "  -0B11x", "+0b", "0b2", "0b", "0x1f", "017", "42", "-7", "\t+0b0110 rest",
    "0b1111111111111111111111111111111111111111111111111111111111111111",
    "0b10000000000000000000000000000000000000000000000000000000000000000",
    "-0b1000000000000000000000000000000000000000000000000000000000000000",
    "-0b1000000000000000000000000000000000000000000000000000000000000001",
    "-0b1", "0B0111111111111111111111111111111111111111111111111111111111111111", "",
};
static const int BASES[] = {0, 2, 10, 16, 1, 37};

static const char *err(void) { return errno == ERANGE ? " ERANGE" : errno == EINVAL ? " EINVAL" : ""; }

#define SHOW_S(name, call)                                                                \
    do {                                                                                  \
        errno = 0;                                                                        \
        end = (char *)s + 999; /* unset by the call: base invalid */                       \
        long long v = (long long)(call);                                                  \
        printf("%-10s \"%s\" %d = %lld, at %td%s\n", #name, s, b, v, end - s, err());    \
    } while (0)
#define SHOW_U(name, call)                                                                \
    do {                                                                                  \
        errno = 0;                                                                        \
        end = (char *)s + 999;                                                            \
        unsigned long long v = (unsigned long long)(call);                                \
        printf("%-10s \"%s\" %d = %llu, at %td%s\n", #name, s, b, v, end - s, err());    \
    } while (0)
#define SHOW_WS(name, call)                                                               \
    do {                                                                                  \
        errno = 0;                                                                        \
        wend = w + 999;                                                                   \
        long long v = (long long)(call);                                                  \
        printf("%-10s \"%s\" %d = %lld, at %td%s\n", #name, s, b, v, wend - w, err());   \
    } while (0)
#define SHOW_WU(name, call)                                                               \
    do {                                                                                  \
        errno = 0;                                                                        \
        wend = w + 999;                                                                   \
        unsigned long long v = (unsigned long long)(call);                                \
        printf("%-10s \"%s\" %d = %llu, at %td%s\n", #name, s, b, v, wend - w, err());   \
    } while (0)

int main(void) {
    locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    for (unsigned i = 0; i < sizeof CASES / sizeof *CASES; i++)
        for (unsigned j = 0; j < sizeof BASES / sizeof *BASES; j++) {
            const char *s = CASES[i];
            int b = BASES[j];
            char *end;
            SHOW_S(strtol, c23_strtol(s, &end, b));
            SHOW_S(strtoll, c23_strtoll(s, &end, b));
            SHOW_U(strtoul, c23_strtoul(s, &end, b));
            SHOW_U(strtoull, c23_strtoull(s, &end, b));
            SHOW_S(strtoimax, c23_strtoimax(s, &end, b));
            SHOW_U(strtoumax, c23_strtoumax(s, &end, b));
            SHOW_S(strtol_l, c23_strtol_l(s, &end, b, c));
            SHOW_S(strtoll_l, c23_strtoll_l(s, &end, b, c));
            SHOW_U(strtoul_l, c23_strtoul_l(s, &end, b, c));
            SHOW_U(strtoull_l, c23_strtoull_l(s, &end, b, c));
            wchar_t w[80], *wend;
            mbstowcs(w, s, sizeof w / sizeof *w);
            SHOW_WS(wcstol, c23_wcstol(w, &wend, b));
            SHOW_WS(wcstoll, c23_wcstoll(w, &wend, b));
            SHOW_WU(wcstoul, c23_wcstoul(w, &wend, b));
            SHOW_WU(wcstoull, c23_wcstoull(w, &wend, b));
            SHOW_WS(wcstoimax, c23_wcstoimax(w, &wend, b));
            SHOW_WU(wcstoumax, c23_wcstoumax(w, &wend, b));
        }
    /* A null end pointer. */
    printf("strtol null end: %ld\n", c23_strtol("0b11", NULL, 0));
    printf("wcstoumax null end: %ju\n", c23_wcstoumax(L"0b111", NULL, 2));
    return 0;
}
