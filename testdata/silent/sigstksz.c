/* SIGSTKSZ and MINSIGSTKSZ: since glibc 2.34 (with _GNU_SOURCE) calls of
 * sysconf (_SC_SIGSTKSZ), which an older sysconf answers with -1. */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(void) {
    long size = SIGSTKSZ, min = MINSIGSTKSZ;
    printf("SIGSTKSZ %ld MINSIGSTKSZ %ld\n", size, min);
    /* A name every glibc knows passes through the wrapper unchanged. */
    printf("page size %s\n", sysconf(_SC_PAGESIZE) > 0 ? "known" : "unknown");
    /* A name no glibc knows is still refused, with EINVAL. */
    printf("unknown name %ld\n", sysconf(100000));
    return size > 0 && min > 0 ? 0 : 1;
}
