/* Memory and string functions added to glibc after the baselines people target. */
#include "common.h"

extern void *realloc(void *, size_t);

/* glibc 2.26: realloc(ptr, nmemb * size), or NULL with ENOMEM when the product overflows. */
EXPORT void *PF(reallocarray)(void *ptr, size_t nmemb, size_t size) {
    size_t total;
    if (__builtin_mul_overflow(nmemb, size, &total)) {
        ERRNO = ENOMEM;
        return 0;
    }
    return realloc(ptr, total);
}

static size_t len(const char *s) {
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

/* glibc 2.38 (from BSD): copy at most size-1 bytes, always terminate when size > 0, return
 * strlen(src). */
EXPORT size_t PF(strlcpy)(char *dst, const char *src, size_t size) {
    size_t n = len(src);
    if (size) {
        size_t c = n < size - 1 ? n : size - 1;
        for (size_t i = 0; i < c; i++)
            dst[i] = src[i];
        dst[c] = 0;
    }
    return n;
}

/* glibc 2.38: append, return strlen(dst) + strlen(src) with strlen(dst) capped at size. */
EXPORT size_t PF(strlcat)(char *dst, const char *src, size_t size) {
    size_t d = 0;
    while (d < size && dst[d])
        d++;
    if (d == size)
        return size + len(src);
    return d + PF(strlcpy)(dst + d, src, size - d);
}

/* glibc 2.25: memset that the compiler may not remove. The volatile stores cannot be
 * elided; same effect. */
EXPORT void PF(explicit_bzero)(void *p, size_t n) {
    volatile unsigned char *q = p;
    while (n--)
        *q++ = 0;
}

/* glibc 2.25: the _FORTIFY_SOURCE variant: abort through __chk_fail when the buffer is
 * smaller than the length, as glibc's does. */
extern void __chk_fail(void) __attribute__((noreturn));
EXPORT void PF(__explicit_bzero_chk)(void *p, size_t n, size_t dest) {
    if (dest < n)
        __chk_fail();
    PF(explicit_bzero)(p, n);
}
