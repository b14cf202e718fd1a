/* C23 strtol (glibc 2.38's __isoc23_strtol, which _GNU_SOURCE selects): "0b" introduces
 * binary digits with base 0 or 2. Below 2.38 the older strtol would stop at the 'b'. The
 * host's headers predate 2.38, so the redirections its headers make are written here, and
 * the program is linked against strtol_c23-stub.c's definitions at GLIBC_2.38. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

extern long c23_strtol(const char *, char **, int) __asm__("__isoc23_strtol");
extern unsigned long long c23_strtoull(const char *, char **, int) __asm__("__isoc23_strtoull");
extern long c23_wcstol(const wchar_t *, wchar_t **, int) __asm__("__isoc23_wcstol");
extern intmax_t c23_strtoimax(const char *, char **, int) __asm__("__isoc23_strtoimax");
extern long c23_strtol_l(const char *, char **, int, locale_t) __asm__("__isoc23_strtol_l");
#define strtol c23_strtol
#define strtoull c23_strtoull
#define wcstol c23_wcstol
#define strtoimax c23_strtoimax
#define strtol_l c23_strtol_l

static void l(const char *s, int base) {
    char *end;
    errno = 0;
    long v = strtol(s, &end, base);
    printf("strtol(\"%s\", %d) = %ld, rest \"%s\"%s\n", s, base, v, end, errno == ERANGE ? " ERANGE" : "");
}

static void ul(const char *s, int base) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, base);
    printf("strtoull(\"%s\", %d) = %llu, rest \"%s\"%s\n", s, base, v, end, errno == ERANGE ? " ERANGE" : "");
}

int main(void) {
    const char *cases[] = {"0b101", "  -0B11x", "+0b", "0b2", "0x1f", "017", "42",
                           "0b1111111111111111111111111111111111111111111111111111111111111111",
                           "-0b1000000000000000000000000000000000000000000000000000000000000000",
                           "-0b1000000000000000000000000000000000000000000000000000000000000001"};
    for (unsigned i = 0; i < sizeof cases / sizeof *cases; i++) {
        l(cases[i], 0);
        l(cases[i], 2);
        ul(cases[i], 0);
    }
    l("0b11", 10);
    wchar_t *wend;
    printf("wcstol(L\"0b110\", 0) = %ld\n", wcstol(L"0b110", &wend, 0));
    printf("strtoimax(\"-0b11\", 0) = %jd\n", strtoimax("-0b11", NULL, 0));
    locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    printf("strtol_l(\" 0b1001\", 0) = %ld\n", strtol_l(" 0b1001", NULL, 0, c));
    return 0;
}
