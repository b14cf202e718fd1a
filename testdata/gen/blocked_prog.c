/* A program that cannot be patched to glibc 2.17 without elfcompat's polyfills: stat and
 * mallinfo2 (GLIBC_2.33) have no older version. tests/atomic_write.rs patches it with
 * --polyfill=none and checks that the refusal (exit 1) writes nothing. */
#include <malloc.h>
#include <stdio.h>
#include <sys/stat.h>

int main(int argc, char **argv) {
    struct stat st;
    struct mallinfo2 mi = mallinfo2();
    int r = stat(argc > 1 ? argv[1] : "/", &st);
    printf("stat: %d, arena >= 0: %d\n", r, mi.arena >= 0);
    return 0;
}
