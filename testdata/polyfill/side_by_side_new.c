/* Polyfills of functions newer than the host's glibc 2.36 (stdc_* of 2.39; strlcpy,
 * strlcat, wcslcpy, wcslcat and their _FORTIFY_SOURCE twins of 2.38), side by side with
 * glibc's own: linked against trixie's glibc 2.41 and run under it for the reference, then
 * patched to 2.17 and run on 2.36 and bullseye's 2.31. Declared here, since the host's
 * headers lack them. A _chk failure is run in a child: glibc's and the polyfill's both end
 * in __chk_fail (SIGABRT). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wchar.h>

#define DECL(op, r)                                   \
    extern r stdc_##op##_uc(unsigned char);            \
    extern r stdc_##op##_us(unsigned short);           \
    extern r stdc_##op##_ui(unsigned int);             \
    extern r stdc_##op##_ul(unsigned long);            \
    extern r stdc_##op##_ull(unsigned long long);
DECL(leading_zeros, unsigned)
DECL(leading_ones, unsigned)
DECL(trailing_zeros, unsigned)
DECL(trailing_ones, unsigned)
DECL(first_leading_zero, unsigned)
DECL(first_leading_one, unsigned)
DECL(first_trailing_zero, unsigned)
DECL(first_trailing_one, unsigned)
DECL(count_zeros, unsigned)
DECL(count_ones, unsigned)
DECL(has_single_bit, bool)
DECL(bit_width, unsigned)
extern unsigned char stdc_bit_floor_uc(unsigned char), stdc_bit_ceil_uc(unsigned char);
extern unsigned short stdc_bit_floor_us(unsigned short), stdc_bit_ceil_us(unsigned short);
extern unsigned int stdc_bit_floor_ui(unsigned int), stdc_bit_ceil_ui(unsigned int);
extern unsigned long stdc_bit_floor_ul(unsigned long), stdc_bit_ceil_ul(unsigned long);
extern unsigned long long stdc_bit_floor_ull(unsigned long long), stdc_bit_ceil_ull(unsigned long long);
extern size_t strlcpy(char *, const char *, size_t), strlcat(char *, const char *, size_t);
extern size_t __strlcpy_chk(char *, const char *, size_t, size_t);
extern size_t __strlcat_chk(char *, const char *, size_t, size_t);
extern size_t wcslcpy(wchar_t *, const wchar_t *, size_t), wcslcat(wchar_t *, const wchar_t *, size_t);
extern size_t __wcslcpy_chk(wchar_t *, const wchar_t *, size_t, size_t);
extern size_t __wcslcat_chk(wchar_t *, const wchar_t *, size_t, size_t);

/* The call through a volatile pointer keeps the compiler from folding it. */
#define ROW(op)                                                                                  \
    do {                                                                                         \
        unsigned long long (*volatile f)(unsigned long long) = 0;                                \
        (void)f;                                                                                 \
        printf(#op " %llx: uc=%u us=%u ui=%u ul=%u ull=%u\n", v, (unsigned)stdc_##op##_uc(v),    \
               (unsigned)stdc_##op##_us(v), (unsigned)stdc_##op##_ui(v), (unsigned)stdc_##op##_ul(v), \
               (unsigned)stdc_##op##_ull(v));                                                   \
    } while (0)
#define ROWV(op)                                                                                 \
    printf(#op " %llx: uc=%x us=%x ui=%x ul=%lx ull=%llx\n", v, stdc_##op##_uc(v), stdc_##op##_us(v), \
           stdc_##op##_ui(v), stdc_##op##_ul(v), stdc_##op##_ull(v))

static void chk_child(const char *what, void (*f)(void)) {
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        close(2);
        f();
        _exit(0);
    }
    int st = 0;
    waitpid(p, &st, 0);
    printf("%s: signaled=%d sig=%d\n", what, WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}
static char small[4];
static wchar_t wsmall[4];
static void strlcpy_overflow(void) { __strlcpy_chk(small, "abcdef", 8, sizeof small); }
static void strlcat_overflow(void) { __strlcat_chk(small, "abcdef", 8, sizeof small); }
static void wcslcpy_overflow(void) { __wcslcpy_chk(wsmall, L"abcdef", 8, 4); }
static void wcslcat_overflow(void) { __wcslcat_chk(wsmall, L"abcdef", 8, 4); }

int main(void) {
    static const unsigned long long values[] = {0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x100, 0x101, 0x7fff, 0x8000,
                                                0xffff, 0x10000, 0x12345678, 0x80000000, 0xffffffff,
                                                0x100000000ULL, 0x8000000000000000ULL, 0xffffffffffffffffULL,
                                                0x8000000000000001ULL, 0x0123456789abcdefULL};
    for (unsigned i = 0; i < sizeof values / sizeof values[0]; i++) {
        unsigned long long volatile vv = values[i];
        unsigned long long v = vv;
        ROW(leading_zeros);
        ROW(leading_ones);
        ROW(trailing_zeros);
        ROW(trailing_ones);
        ROW(first_leading_zero);
        ROW(first_leading_one);
        ROW(first_trailing_zero);
        ROW(first_trailing_one);
        ROW(count_zeros);
        ROW(count_ones);
        ROW(has_single_bit);
        ROW(bit_width);
        ROWV(bit_floor);
        ROWV(bit_ceil);
    }

    const char *srcs[] = {"", "a", "abc", "abcdefgh", "a much longer source string"};
    size_t sizes[] = {0, 1, 2, 4, 9, 64};
    for (unsigned i = 0; i < 5; i++)
        for (unsigned j = 0; j < 6; j++) {
            char d[64];
            memset(d, 'X', sizeof d);
            size_t r = strlcpy(d, srcs[i], sizes[j]);
            printf("strlcpy \"%s\" %zu: %zu \"%.*s\" next=%c\n", srcs[i], sizes[j], r,
                   sizes[j] ? (int)sizes[j] : 0, sizes[j] ? d : "", d[sizes[j] < 64 ? sizes[j] : 63]);
            strcpy(d, "pre");
            r = strlcat(d, srcs[i], sizes[j]);
            printf("strlcat \"%s\" %zu: %zu \"%s\"\n", srcs[i], sizes[j], r, sizes[j] > 3 ? d : "(kept)");
            r = __strlcpy_chk(d, srcs[i], sizes[j], sizeof d);
            printf("__strlcpy_chk: %zu\n", r);
            strcpy(d, "pre");
            r = __strlcat_chk(d, srcs[i], sizes[j], sizeof d);
            printf("__strlcat_chk: %zu \"%s\"\n", r, d);
            wchar_t w[64], ws[64];
            mbstowcs(ws, srcs[i], 64);
            r = wcslcpy(w, ws, sizes[j]);
            printf("wcslcpy %zu: %zu len=%zu\n", sizes[j], r, sizes[j] ? wcslen(w) : 0);
            wcscpy(w, L"pre");
            r = wcslcat(w, ws, sizes[j]);
            printf("wcslcat %zu: %zu len=%zu\n", sizes[j], r, wcslen(w));
            r = __wcslcpy_chk(w, ws, sizes[j], 64);
            wcscpy(w, L"pre");
            size_t r2 = __wcslcat_chk(w, ws, sizes[j], 64);
            printf("__wcslcpy_chk %zu __wcslcat_chk %zu len=%zu\n", r, r2, wcslen(w));
        }
    chk_child("__strlcpy_chk overflow", strlcpy_overflow);
    chk_child("__strlcat_chk overflow", strlcat_overflow);
    chk_child("__wcslcpy_chk overflow", wcslcpy_overflow);
    chk_child("__wcslcat_chk overflow", wcslcat_overflow);
    return 0;
}
