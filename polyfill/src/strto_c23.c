/* The C23 string-to-integer conversions of glibc 2.38 (__isoc23_strtol and friends, which
 * <stdlib.h> and <inttypes.h> select for C23 and _GNU_SOURCE): the older functions with
 * the same ABI, except that with base 0 or 2 a "0b"/"0B" prefix followed by a binary digit
 * introduces binary digits. The older functions would read "0b101" as 0, stopping at
 * 'b'. Each polyfill skips white space and a sign as the older function does (the same
 * isspace, of the current or the given locale) and, where that prefix follows, converts
 * the binary digits itself with the older function's overflow rules (the limit and ERANGE,
 * the negation done in the result's type); otherwise it calls the older function. */
#include "common.h"
/* Not on 32-bit targets: the long long and intmax_t functions are not the long ones
 * there (the SIGNED/UNSIGNED lines below alias them); not ported yet. */
#if __SIZEOF_LONG__ == 8

typedef int wchar_t_;
typedef void *locale_t;

extern int isspace(int);
extern int isspace_l(int, locale_t);
extern int iswspace(unsigned int);
extern int iswspace_l(unsigned int, locale_t);
extern long strtol(const char *, char **, int);
extern unsigned long strtoul(const char *, char **, int);
extern long strtol_l(const char *, char **, int, locale_t);
extern unsigned long strtoul_l(const char *, char **, int, locale_t);
extern long wcstol(const wchar_t_ *, wchar_t_ **, int);
extern unsigned long wcstoul(const wchar_t_ *, wchar_t_ **, int);

#define ERANGE 34
#define LONG_MAX_ 0x7fffffffffffffffUL

/* Where binary digits start in s (after white space, a sign and "0b"), or -1. */
#define BINARY_START(T, SPACE)                                                            \
    static long binary_start_##T(const T *s, int base, int *neg, void *loc) {            \
        (void)loc;                                                                         \
        if (base != 0 && base != 2)                                                        \
            return -1;                                                                     \
        long i = 0;                                                                        \
        while (SPACE)                                                                      \
            i++;                                                                           \
        *neg = 0;                                                                          \
        if (s[i] == '-' || s[i] == '+')                                                    \
            *neg = s[i++] == '-';                                                          \
        if (s[i] == '0' && (s[i + 1] == 'b' || s[i + 1] == 'B') &&                         \
            (s[i + 2] == '0' || s[i + 2] == '1'))                                          \
            return i + 2;                                                                  \
        return -1;                                                                         \
    }

BINARY_START(char, (loc ? isspace_l((unsigned char)s[i], loc) : isspace((unsigned char)s[i])))
BINARY_START(wchar_t_, (loc ? iswspace_l((unsigned int)s[i], loc) : iswspace((unsigned int)s[i])))

/* The value of the binary digits at s + at, the end, and whether it overflowed. */
#define BINARY_DIGITS(T)                                                                  \
    static unsigned long digits_##T(const T *s, long at, const T **end, int *over) {     \
        unsigned long v = 0;                                                               \
        *over = 0;                                                                         \
        while (s[at] == '0' || s[at] == '1') {                                             \
            if (v >> 63)                                                                   \
                *over = 1;                                                                 \
            v = v << 1 | (unsigned long)(s[at] - '0');                                     \
            at++;                                                                          \
        }                                                                                  \
        *end = s + at;                                                                     \
        return v;                                                                          \
    }

BINARY_DIGITS(char)
BINARY_DIGITS(wchar_t_)

static long signed_result(unsigned long v, int neg, int over) {
    if (neg) {
        if (over || v > LONG_MAX_ + 1) {
            ERRNO = ERANGE;
            return (long)(LONG_MAX_ + 1); /* LONG_MIN */
        }
        return (long)(0 - v);
    }
    if (over || v > LONG_MAX_) {
        ERRNO = ERANGE;
        return (long)LONG_MAX_;
    }
    return (long)v;
}

static unsigned long unsigned_result(unsigned long v, int neg, int over) {
    if (over) {
        ERRNO = ERANGE;
        return ~0UL;
    }
    return neg ? 0 - v : v;
}

#define SIGNED(name, T, older, older_call)                                                \
    EXPORT long PF(name)(const T *s, T **end, int base) {                                  \
        int neg, over;                                                                     \
        long at = binary_start_##T(s, base, &neg, 0);                                     \
        if (at < 0)                                                                        \
            return older_call;                                                             \
        const T *e;                                                                        \
        unsigned long v = digits_##T(s, at, &e, &over);                                    \
        if (end)                                                                           \
            *end = (T *)e;                                                                 \
        return signed_result(v, neg, over);                                                \
    }
#define UNSIGNED(name, T, older, older_call)                                              \
    EXPORT unsigned long PF(name)(const T *s, T **end, int base) {                         \
        int neg, over;                                                                     \
        long at = binary_start_##T(s, base, &neg, 0);                                     \
        if (at < 0)                                                                        \
            return older_call;                                                             \
        const T *e;                                                                        \
        unsigned long v = digits_##T(s, at, &e, &over);                                    \
        if (end)                                                                           \
            *end = (T *)e;                                                                 \
        return unsigned_result(v, neg, over);                                              \
    }

/* On 64-bit targets long, long long and intmax_t are the same type. */
SIGNED(__isoc23_strtol, char, strtol, strtol(s, end, base))
SIGNED(__isoc23_strtoll, char, strtol, strtol(s, end, base))
SIGNED(__isoc23_strtoimax, char, strtol, strtol(s, end, base))
UNSIGNED(__isoc23_strtoul, char, strtoul, strtoul(s, end, base))
UNSIGNED(__isoc23_strtoull, char, strtoul, strtoul(s, end, base))
UNSIGNED(__isoc23_strtoumax, char, strtoul, strtoul(s, end, base))
SIGNED(__isoc23_wcstol, wchar_t_, wcstol, wcstol(s, end, base))
SIGNED(__isoc23_wcstoll, wchar_t_, wcstol, wcstol(s, end, base))
SIGNED(__isoc23_wcstoimax, wchar_t_, wcstol, wcstol(s, end, base))
UNSIGNED(__isoc23_wcstoul, wchar_t_, wcstoul, wcstoul(s, end, base))
UNSIGNED(__isoc23_wcstoull, wchar_t_, wcstoul, wcstoul(s, end, base))
UNSIGNED(__isoc23_wcstoumax, wchar_t_, wcstoul, wcstoul(s, end, base))

#define SIGNED_L(name, older)                                                             \
    EXPORT long PF(name)(const char *s, char **end, int base, locale_t loc) {              \
        int neg, over;                                                                     \
        long at = binary_start_char(s, base, &neg, loc);                                  \
        if (at < 0)                                                                        \
            return older(s, end, base, loc);                                               \
        const char *e;                                                                     \
        unsigned long v = digits_char(s, at, &e, &over);                                   \
        if (end)                                                                           \
            *end = (char *)e;                                                              \
        return signed_result(v, neg, over);                                                \
    }
#define UNSIGNED_L(name, older)                                                           \
    EXPORT unsigned long PF(name)(const char *s, char **end, int base, locale_t loc) {     \
        int neg, over;                                                                     \
        long at = binary_start_char(s, base, &neg, loc);                                  \
        if (at < 0)                                                                        \
            return older(s, end, base, loc);                                               \
        const char *e;                                                                     \
        unsigned long v = digits_char(s, at, &e, &over);                                   \
        if (end)                                                                           \
            *end = (char *)e;                                                              \
        return unsigned_result(v, neg, over);                                              \
    }

SIGNED_L(__isoc23_strtol_l, strtol_l)
SIGNED_L(__isoc23_strtoll_l, strtol_l)
UNSIGNED_L(__isoc23_strtoul_l, strtoul_l)
UNSIGNED_L(__isoc23_strtoull_l, strtoul_l)
#endif
