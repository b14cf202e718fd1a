/* String functions of glibc 2.38 over older ones: the _FORTIFY_SOURCE twins of strlcpy
 * and strlcat, and the wide-character versions. */
#include "common.h"
typedef int wchar_t;
extern void __chk_fail(void) __attribute__((noreturn));
/* mem.c's, reached directly (hidden: no GOT entry). */
__attribute__((visibility("hidden"))) size_t PF(strlcpy)(char *, const char *, size_t);
__attribute__((visibility("hidden"))) size_t PF(strlcat)(char *, const char *, size_t);

/* debug/strlcpy_chk.c, debug/strlcat_chk.c: the destination's size must cover n. */
EXPORT size_t PF(__strlcpy_chk)(char *d, const char *s, size_t n, size_t dlen) {
    if (dlen < n)
        __chk_fail();
    return PF(strlcpy)(d, s, n);
}
EXPORT size_t PF(__strlcat_chk)(char *d, const char *s, size_t n, size_t dlen) {
    if (dlen < n)
        __chk_fail();
    return PF(strlcat)(d, s, n);
}
static size_t wlen(const wchar_t *s) {
    const wchar_t *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}
/* strlcpy and strlcat on wide characters; sizes count wide characters. */
EXPORT size_t PF(wcslcpy)(wchar_t *d, const wchar_t *s, size_t n) {
    size_t len = wlen(s);
    if (n) {
        size_t c = len < n - 1 ? len : n - 1;
        for (size_t i = 0; i < c; i++)
            d[i] = s[i];
        d[c] = 0;
    }
    return len;
}
EXPORT size_t PF(wcslcat)(wchar_t *d, const wchar_t *s, size_t n) {
    size_t dl = 0;
    while (dl < n && d[dl])
        dl++;
    if (dl == n)
        return n + wlen(s);
    return dl + PF(wcslcpy)(d + dl, s, n - dl);
}
EXPORT size_t PF(__wcslcpy_chk)(wchar_t *d, const wchar_t *s, size_t n, size_t dlen) {
    if (dlen < n)
        __chk_fail();
    return PF(wcslcpy)(d, s, n);
}
EXPORT size_t PF(__wcslcat_chk)(wchar_t *d, const wchar_t *s, size_t n, size_t dlen) {
    if (dlen < n)
        __chk_fail();
    return PF(wcslcat)(d, s, n);
}
