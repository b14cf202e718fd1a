/* strfromd, strfromf, strfroml (glibc 2.25), with the _FloatN names: strfromf64x is
 * strfroml on both architectures, and so is strfromf128 on aarch64 and s390x, whose long
 * double is binary128 (x86_64's _Float128 is not its long double; printf has no format for
 * it).
 * glibc's stdlib/strfrom-skeleton.c: the format is "%" [ "." [digits] ] one of a A e E f
 * F g G, and whatever follows is ignored; anything else aborts the program. A "." without
 * digits is precision 0; a precision too large for an int is none. The conversion itself
 * is printf's (glibc calls its printf_fp and printf_fphex with no flags and no width):
 * here the older snprintf with "%.*e" and the like, which formats through the same code,
 * in the same locale. */
#include "common.h"
/* Not on 32-bit targets yet: written and tested for x86_64, aarch64 and s390x (their long
 * double, FPU control registers and intmax_t returns); i386 and armhf keep these as
 * blockers. */
#if __SIZEOF_LONG__ == 8

extern int snprintf(char *, size_t, const char *, ...);
extern void abort(void) __attribute__((noreturn));

#define ALIAS(name, target) \
    extern __typeof__(PF(target)) PF(name) __attribute__((alias("__elfcompat_pf_" #target)));

/* The conversion and precision (-1: none) of a strfrom format; aborts as glibc. */
static char parse(const char *format, int *precision) {
    const char *p = format;
    *precision = -1;
    if (*p++ != '%')
        abort();
    if (*p == '.') {
        p++;
        long v = 0;
        int digits = *p >= '0' && *p <= '9';
        while (*p >= '0' && *p <= '9') {
            if (v <= __INT_MAX__)
                v = v * 10 + (*p - '0');
            p++;
        }
        *precision = !digits ? 0 : v > __INT_MAX__ ? -1 : (int)v;
    }
    switch (*p) {
    case 'a': case 'A': case 'e': case 'E': case 'f': case 'F': case 'g': case 'G':
        return *p;
    default:
        abort();
    }
}

/* The printf format of a strfrom format: "%.*e", or "%e" without a precision; L for long
 * double. */
static int printf_format(char fmt[6], const char *format, int is_long) {
    int precision;
    char spec = parse(format, &precision), *f = fmt;
    *f++ = '%';
    if (precision >= 0) {
        *f++ = '.';
        *f++ = '*';
    }
    if (is_long)
        *f++ = 'L';
    *f++ = spec;
    *f = 0;
    return precision;
}

EXPORT int PF(strfromd)(char *dest, size_t size, const char *format, double x) {
    char fmt[6];
    int precision = printf_format(fmt, format, 0);
    return precision < 0 ? snprintf(dest, size, fmt, x) : snprintf(dest, size, fmt, precision, x);
}
/* glibc converts the float to double for printf, as the variadic call does. */
EXPORT int PF(strfromf)(char *dest, size_t size, const char *format, float x) {
    return PF(strfromd)(dest, size, format, (double)x);
}
ALIAS(strfromf32, strfromf)
ALIAS(strfromf64, strfromd)
ALIAS(strfromf32x, strfromd)

EXPORT int PF(strfroml)(char *dest, size_t size, const char *format, long double x) {
    char fmt[6];
    int precision = printf_format(fmt, format, 1);
    return precision < 0 ? snprintf(dest, size, fmt, x) : snprintf(dest, size, fmt, precision, x);
}
ALIAS(strfromf64x, strfroml)
#if defined(__aarch64__) || defined(__s390x__)
ALIAS(strfromf128, strfroml)
#endif
#endif /* __SIZEOF_LONG__ == 8 */
