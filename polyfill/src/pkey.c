/* glibc 2.27's pkey_get and pkey_set on x86_64: the access rights of a memory protection
 * key live in the thread's PKRU register, two bits per key (bit 0: access disabled, bit 1:
 * write disabled), read with RDPKRU and written with WRPKRU, as glibc does; a key outside
 * 0..15 or rights above 3 is EINVAL before the register is touched. Like glibc's, they
 * fault on a CPU without protection keys, where a program's pkey_alloc has already failed.
 * (aarch64's are glibc 2.42's POR_EL0 functions; not polyfilled.) */
#include "common.h"
#if defined(__x86_64__)

static unsigned int pkru_read(void) {
    unsigned int pkru;
    __asm__ volatile(".byte 0x0f, 0x01, 0xee" : "=a"(pkru) : "c"(0) : "rdx");
    return pkru;
}

static void pkru_write(unsigned int pkru) {
    __asm__ volatile(".byte 0x0f, 0x01, 0xef" : : "a"(pkru), "c"(0), "d"(0) : "memory");
}

EXPORT int PF(pkey_get)(int key) {
    if (key < 0 || key > 15) {
        ERRNO = EINVAL;
        return -1;
    }
    return (int)((pkru_read() >> (2 * key)) & 3);
}

EXPORT int PF(pkey_set)(int key, unsigned int rights) {
    if (key < 0 || key > 15 || rights > 3) {
        ERRNO = EINVAL;
        return -1;
    }
    unsigned int mask = 3u << (2 * key);
    pkru_write((pkru_read() & ~mask) | (rights << (2 * key)));
    return 0;
}

#endif /* __x86_64__ */
