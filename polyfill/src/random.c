/* glibc 2.36's arc4random family: random bytes from the kernel (getrandom), which never
 * fails for these functions: interrupted or short reads are retried; a kernel without
 * getrandom falls back to /dev/urandom, as glibc 2.36 itself does. */
#include "common.h"

extern int open(const char *, int, ...);
extern ssize_t read(int, void *, size_t);
extern int close(int);
extern void abort(void);

static void fill(void *buf, size_t n) {
    unsigned char *p = buf;
    while (n) {
        long r = sys6(SYS_getrandom, (long)p, (long)n, 0, 0, 0, 0);
        if (r == -EINTR)
            continue;
        if (r == -ENOSYS) {
            int fd = open("/dev/urandom", 02000000 /* O_CLOEXEC */);
            if (fd < 0)
                abort();
            while (n) {
                ssize_t k = read(fd, p, n);
                if (k <= 0) {
                    if (k < 0 && ERRNO == EINTR)
                        continue;
                    abort();
                }
                p += k;
                n -= (size_t)k;
            }
            close(fd);
            return;
        }
        if (r <= 0)
            abort();
        p += r;
        n -= (size_t)r;
    }
}

EXPORT void PF(arc4random_buf)(void *buf, size_t n) { fill(buf, n); }

EXPORT uint32_t PF(arc4random)(void) {
    uint32_t v;
    fill(&v, sizeof v);
    return v;
}

#if defined(__arm__) && !defined(__ARM_ARCH_EXT_IDIV__)
/* armhf's baseline (ARMv7-A) has no divide instruction, and the compiler would call libgcc's
 * __aeabi_uidivmod, which no glibc exports: the remainder by shift and subtract. */
static uint32_t mod32(uint32_t a, uint32_t b) {
    unsigned long long r = 0;
    for (int i = 31; i >= 0; i--) {
        r = (r << 1) | ((a >> i) & 1);
        if (r >= b)
            r -= b;
    }
    return (uint32_t)r;
}
#define MOD(a, b) mod32((a), (b))
#else
#define MOD(a, b) ((a) % (b))
#endif

/* Uniform in [0, bound) without modulo bias (rejection sampling), 0 when bound < 2. */
EXPORT uint32_t PF(arc4random_uniform)(uint32_t bound) {
    if (bound < 2)
        return 0;
    uint32_t min = MOD(-bound, bound);
    for (;;) {
        uint32_t r = PF(arc4random)();
        if (r >= min)
            return MOD(r, bound);
    }
}
