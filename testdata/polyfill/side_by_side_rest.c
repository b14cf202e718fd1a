/* Polyfills the other side-by-side programs do not call, side by side with glibc's own:
 * the large-file names preadv64v2 and pwritev64v2 (glibc 2.26; the same functions as
 * preadv2 and pwritev2 on 64-bit targets), thrd_equal (2.28; <threads.h> defines it inline,
 * so it is called through a pointer here) and the rseq data of 2.35 (__rseq_size,
 * __rseq_flags, __rseq_offset), read as a program uses them: the area at __rseq_offset
 * from the thread pointer only where __rseq_size says rseq is registered. Run with
 * GLIBC_TUNABLES=glibc.pthread.rseq=0, glibc's own answer is "not registered", which is
 * the polyfill's: an older glibc registers no rseq area. Argument: a scratch directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/rseq.h>
#include <sys/uio.h>
#include <threads.h>
#include <unistd.h>

static int thrd_main(void *arg) {
    (void)arg;
    return 7;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    char path[4096];
    snprintf(path, sizeof path, "%s/rest.dat", argv[1]);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return 3;
    char a[] = "hello, ", b[] = "world";
    struct iovec out[2] = {{a, 7}, {b, 5}};
    static const int flags[] = {0, RWF_HIPRI, RWF_DSYNC, RWF_SYNC, RWF_APPEND, 0x40000000};
    for (unsigned i = 0; i < sizeof flags / sizeof *flags; i++) {
        errno = 0;
        ssize_t w = pwritev64v2(fd, out, 2, (off_t)(3 * i), flags[i]);
        printf("pwritev64v2 at %u flags %#x: %zd errno %d\n", 3 * i, flags[i], w, w < 0 ? errno : 0);
    }
    /* errno only after a failure: glibc leaves the ENOSYS of a pwritev2 system call it
     * replaced by writev (a kernel, or qemu-user, without it) after a success. */
    for (off_t at = -1; at >= -2; at--) {
        errno = 0;
        ssize_t w = pwritev64v2(fd, out, 1, at, 0);
        printf("pwritev64v2 offset %lld: %zd errno %d\n", (long long)at, w, w < 0 ? errno : 0);
    }
    for (unsigned i = 0; i < 4; i++) {
        char x[8] = {0}, y[8] = {0};
        struct iovec in[2] = {{x, 4}, {y, 6}};
        errno = 0;
        ssize_t r = preadv64v2(fd, in, 2, (off_t)(5 * i), i == 3 ? RWF_HIPRI : 0);
        printf("preadv64v2 at %u: %zd errno %d [%.4s|%.6s]\n", 5 * i, r, r < 0 ? errno : 0, x, y);
    }
    lseek(fd, 2, SEEK_SET);
    char z[6] = {0};
    struct iovec cur = {z, 5};
    printf("preadv64v2 offset -1: %zd [%.5s]\n", preadv64v2(fd, &cur, 1, -1, 0), z);
    errno = 0;
    printf("preadv64v2 bad fd: %zd errno %d\n", preadv64v2(-1, &cur, 1, 0, 0), errno);
    close(fd);

    int (*equal)(thrd_t, thrd_t) = thrd_equal;
    __asm__("" : "+r"(equal));
    thrd_t t, self = thrd_current();
    int res = 0;
    printf("thrd_equal self self: %d\n", equal(self, thrd_current()) != 0);
    if (thrd_create(&t, thrd_main, NULL) != thrd_success)
        return 4;
    printf("thrd_equal self other: %d\n", equal(self, t) != 0);
    printf("thrd_equal other other: %d\n", equal(t, t) != 0);
    thrd_join(t, &res);
    printf("joined: %d\n", res);

    printf("__rseq_size %u __rseq_flags %u\n", __rseq_size, __rseq_flags);
    if (__rseq_size) {
        struct rseq *rs = (struct rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
        printf("rseq cpu_id_start < 4096: %d\n", rs->cpu_id_start < 4096);
    } else {
        printf("rseq not registered\n");
    }
    return 0;
}
