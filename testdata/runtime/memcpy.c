/* memcpy@GLIBC_2.14: build with -fno-builtin-memcpy (and -O0 is not needed) so the call
   really goes through the imported symbol. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "libc_version.h"

int main(int argc, char **argv) {
    (void)argv;
    report_libc("memcpy");
    size_t n = 100000 + (size_t)argc * 4093;
    unsigned char *src = malloc(n), *dst = malloc(n);
    for (size_t i = 0; i < n; i++) src[i] = (unsigned char)(i * 131 + (i >> 7));
    unsigned long sum = 0;
    for (size_t len = 0; len < 4096; len += 37 + argc) {
        memcpy(dst + (len % 13), src + (len % 29), len);
        for (size_t i = 0; i < len; i++) sum = sum * 31 + dst[(len % 13) + i];
    }
    memcpy(dst, src, n);
    printf("copied %zu bytes, equal=%d, checksum=%lu\n", n, memcmp(dst, src, n) == 0, sum);
    return 0;
}
