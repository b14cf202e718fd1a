/* A program that runs on glibc 2.31 as built: linked with start-old.c (-nostartfiles)
   it needs only the base glibc version. Prints the glibc that runs it; exit code 0. */
#include <stdio.h>
#include <unistd.h>

static int ctor_ran;
__attribute__((constructor)) static void ctor(void) { ctor_ran = 1; }

int main(int argc, char **argv) {
    char ver[64] = "?";
    confstr(_CS_GNU_LIBC_VERSION, ver, sizeof ver);
    printf("oldabi: %s, argc=%d, constructor ran=%d\n", ver, argc, ctor_ran);
    return 0;
}
