/* Every polyfilled function on the same inputs, printing results and errno. Built on the
 * host (glibc 2.36), run as built (glibc's own functions) and after `elfcompat patch
 * --glibc 2.17` (the polyfills, on 2.36 and on bullseye's 2.31): the outputs must match. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <dirent.h>
#include <pthread.h>
#include <sys/uio.h>
#include <threads.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* What explicit_bzero becomes with _FORTIFY_SOURCE (glibc 2.25), called by name. */
extern void __explicit_bzero_chk(void *, size_t, size_t);

static void st(const char *what, int r, const struct stat *s) {
    printf("%s: r=%d errno=%d", what, r, r ? errno : 0);
    if (!r)
        printf(" mode=%o nlink=%lu size=%lld", s->st_mode & 0170000, (unsigned long)s->st_nlink, (long long)s->st_size);
    printf("\n");
}

static void *exits_with_thrd_exit(void *arg) {
    (void)arg;
    thrd_exit(42);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    char path[4096];
    struct stat s;
    struct stat64 s64;

    errno = 0; st("stat /etc/passwd", stat("/etc/passwd", &s), &s);
    errno = 0; st("stat missing", stat("/nonexistent/x", &s), &s);
    errno = 0; st("stat notdir", stat("/etc/passwd/x", &s), &s);
    errno = 0; st("lstat /proc/self/exe", lstat("/proc/self/exe", &s), &s);
    snprintf(path, sizeof path, "%s/known", dir);
    int kfd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    write(kfd, "12345", 5);
    close(kfd);
    errno = 0; st("stat known", stat(path, &s), &s);
    errno = 0; st("fstat 0", fstat(0, &s), &s);
    errno = 0; st("fstat -1", fstat(-1, &s), &s);
    errno = 0; st("fstatat dir", fstatat(AT_FDCWD, dir, &s, 0), &s);
    errno = 0; st("fstatat nofollow", fstatat(AT_FDCWD, "/proc/self/exe", &s, AT_SYMLINK_NOFOLLOW), &s);
    errno = 0; st("fstatat badflag", fstatat(AT_FDCWD, "/", &s, 0x4000000), &s);
    errno = 0; int r = stat64("/etc/passwd", &s64); printf("stat64: r=%d size>0=%d\n", r, s64.st_size > 0);
    errno = 0; r = lstat64("/nonexistent", &s64); printf("lstat64 missing: r=%d errno=%d\n", r, errno);
    errno = 0; r = fstat64(1, &s64); printf("fstat64 1: r=%d\n", r);
    errno = 0; r = fstatat64(AT_FDCWD, "/etc", &s64, 0); printf("fstatat64: r=%d dir=%d\n", r, S_ISDIR(s64.st_mode));

    snprintf(path, sizeof path, "%s/fifo", dir);
    unlink(path);
    errno = 0; r = mknod(path, S_IFIFO | 0600, 0); printf("mknod fifo: r=%d errno=%d\n", r, r ? errno : 0);
    errno = 0; r = mknod(path, S_IFIFO | 0600, 0); printf("mknod again: r=%d errno=%d\n", r, errno);
    errno = 0; r = stat(path, &s); printf("fifo is fifo: %d\n", S_ISFIFO(s.st_mode));
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    errno = 0; r = mknodat(dfd, "fifo2", S_IFIFO | 0644, 0); printf("mknodat: r=%d errno=%d\n", r, r ? errno : 0);
    errno = 0; r = mknodat(-5, "fifo3", S_IFIFO | 0644, 0); printf("mknodat badfd: r=%d errno=%d\n", r, errno);

    unsigned char buf[300];
    errno = 0; ssize_t n = getrandom(buf, 64, 0); printf("getrandom 64: %zd\n", n);
    errno = 0; n = getrandom(buf, 16, GRND_NONBLOCK); printf("getrandom nonblock: %zd\n", n);
    errno = 0; n = getrandom(buf, 16, 0x80); printf("getrandom badflag: %zd errno=%d\n", n, errno);
    void *volatile bad = (void *)1;
    errno = 0; n = getrandom(bad, 16, 0); printf("getrandom fault: %zd errno=%d\n", n, errno);
    errno = 0; r = getentropy(buf, 256); printf("getentropy 256: %d\n", r);
    errno = 0; r = getentropy(buf, 257); printf("getentropy 257: %d errno=%d\n", r, errno);
    printf("gettid == SYS_gettid: %d\n", gettid() == (pid_t)syscall(SYS_gettid));

    int fds[2];
    pipe(fds);
    errno = 0; r = close_range(fds[0], fds[1], 0); printf("close_range: r=%d errno=%d\n", r, r ? errno : 0);
    errno = 0; r = fcntl(fds[0], F_GETFD); printf("closed: %d errno=%d\n", r, errno);
    errno = 0; r = close_range(10, 5, 0); printf("close_range inverted: r=%d errno=%d\n", r, errno);
    errno = 0; r = close_range(3, 3, 0x80); printf("close_range badflag: r=%d errno=%d\n", r, errno);

    snprintf(path, sizeof path, "%s/src", dir);
    int in = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    write(in, "hello polyfill", 14);
    lseek(in, 0, SEEK_SET);
    snprintf(path, sizeof path, "%s/dst", dir);
    int out = open(path, O_CREAT | O_RDWR | O_TRUNC, 0600);
    errno = 0; n = copy_file_range(in, NULL, out, NULL, 100, 0); printf("copy_file_range: %zd errno=%d\n", n, n < 0 ? errno : 0);
    errno = 0; n = copy_file_range(in, NULL, out, NULL, 100, 1); printf("copy_file_range badflag: %zd errno=%d\n", n, errno);
    errno = 0; n = copy_file_range(-1, NULL, out, NULL, 100, 0); printf("copy_file_range badfd: %zd errno=%d\n", n, errno);

    errno = 0; int m = memfd_create("elfcompat", MFD_CLOEXEC); printf("memfd_create: ok=%d\n", m >= 0);
    errno = 0; r = fstat(m, &s); printf("memfd size: %lld\n", (long long)s.st_size);
    errno = 0; r = memfd_create("x", 0x1000); printf("memfd_create badflag: %d errno=%d\n", r, errno);

    struct statx sx;
    errno = 0; r = statx(AT_FDCWD, "/etc/passwd", 0, STATX_SIZE, &sx); printf("statx: r=%d size>0=%d\n", r, sx.stx_size > 0);
    errno = 0; r = statx(AT_FDCWD, "/nonexistent", 0, STATX_SIZE, &sx); printf("statx missing: r=%d errno=%d\n", r, errno);

    errno = 0; int pfd = pidfd_open(getpid(), 0); printf("pidfd_open: ok=%d errno=%d\n", pfd >= 0, pfd < 0 ? errno : 0);
    errno = 0; r = pidfd_open(-1, 0); printf("pidfd_open bad: %d errno=%d\n", r, errno);
    errno = 0; r = pidfd_send_signal(pfd, 0, NULL, 0); printf("pidfd_send_signal 0: %d errno=%d\n", r, r ? errno : 0);
    errno = 0; r = pidfd_getfd(pfd, 0, 0); printf("pidfd_getfd: ok=%d errno=%d\n", r >= 0, r < 0 ? errno : 0);

    errno = 0; int *a = reallocarray(NULL, 10, sizeof(int)); printf("reallocarray: ok=%d\n", a != NULL);
    volatile size_t huge = (size_t)-1 / 8; /* times 16 overflows on 32-bit and 64-bit targets */
    errno = 0; void *o = reallocarray(a, huge, 16); printf("reallocarray overflow: null=%d errno=%d\n", o == NULL, errno);
    free(o ? o : a);

    printf("arc4random_uniform(1)=%u (0)=%u\n", arc4random_uniform(1), arc4random_uniform(0));
    int ok = 1;
    for (int i = 0; i < 1000; i++)
        ok &= arc4random_uniform(7) < 7;
    printf("arc4random_uniform(7) in range: %d\n", ok);
    unsigned char zero[64] = {0};
    arc4random_buf(buf, 64);
    printf("arc4random_buf filled: %d\n", memcmp(buf, zero, 64) != 0);
    printf("arc4random varies: %d\n", arc4random() != arc4random() || arc4random() != arc4random());

    struct dl_find_object fo;
    errno = 0; r = _dl_find_object((void *)&main, &fo);
    printf("_dl_find_object main: r=%d start<=pc=%d pc<end=%d eh=%d\n", r, (char *)fo.dlfo_map_start <= (char *)&main,
           (char *)&main < (char *)fo.dlfo_map_end, fo.dlfo_eh_frame != NULL);
    struct link_map *self = dlopen(NULL, RTLD_NOW);
    printf("_dl_find_object link_map is the program: %d\n", fo.dlfo_link_map == self);
    r = _dl_find_object((void *)&printf, &fo);
    Dl_info info;
    void *lm = NULL;
    dladdr1((void *)&printf, &info, &lm, RTLD_DL_LINKMAP);
    printf("_dl_find_object printf: r=%d link_map matches=%d eh=%d\n", r, fo.dlfo_link_map == lm, fo.dlfo_eh_frame != NULL);
    r = _dl_find_object((void *)16, &fo);
    printf("_dl_find_object nowhere: r=%d\n", r);

    for (int sig = -1; sig < 70; sig += 3) {
        const char *d = sigdescr_np(sig);
        printf("sigdescr_np %d: %s\n", sig, d ? d : "(null)");
    }
    for (int e = -1; e < 140; e += 7) {
        const char *d = strerrordesc_np(e);
        printf("strerrordesc_np %d: %s\n", e, d ? d : "(null)");
    }
    int nul = open("/dev/null", O_RDONLY);
    dup2(nul, 60);
    dup2(nul, 61);
    closefrom(60);
    snprintf(path, sizeof path, "%s/known", dir);
    char other[4096];
    snprintf(other, sizeof other, "%s/src", dir);
    errno = 0; r = renameat2(AT_FDCWD, path, AT_FDCWD, other, RENAME_NOREPLACE);
    printf("renameat2 noreplace: %d errno=%d\n", r, errno);
    errno = 0; r = renameat2(AT_FDCWD, path, AT_FDCWD, other, 0x80);
    printf("renameat2 badflag: %d errno=%d\n", r, errno);
    char dents[4096];
    errno = 0; n = getdents64(dfd, dents, sizeof dents); printf("getdents64: ok=%d\n", n > 0);
    errno = 0; n = getdents64(-1, dents, sizeof dents); printf("getdents64 badfd: %zd errno=%d\n", n, errno);
    char rbuf[8] = {0};
    struct iovec wv = {"abcde", 5}, rv = {rbuf, 5};
    int pf = open(other, O_RDWR);
    errno = 0; n = pwritev2(pf, &wv, 1, 0, 0); printf("pwritev2: %zd\n", n);
    errno = 0; n = preadv2(pf, &rv, 1, 0, 0); printf("preadv2: %zd %s\n", n, rbuf);
    errno = 0; n = preadv2(pf, &rv, 1, 0, 0x100); printf("preadv2 badflag: %zd errno=%d\n", n, errno);
    /* The explicitly 64-bit-offset names (what _FILE_OFFSET_BITS=64 makes of them on 32-bit). */
    errno = 0; n = pwritev64v2(pf, &wv, 1, 1, 0); printf("pwritev64v2: %zd\n", n);
    memset(rbuf, 0, sizeof rbuf);
    errno = 0; n = preadv64v2(pf, &rv, 1, 0, 0); printf("preadv64v2: %zd %s\n", n, rbuf);
    errno = 0; n = preadv64v2(pf, &rv, 1, 0, 0x100); printf("preadv64v2 badflag: %zd errno=%d\n", n, errno);
    errno = 0; n = pwritev64v2(-1, &wv, 1, 0, 0); printf("pwritev64v2 badfd: %zd errno=%d\n", n, errno);
    pthread_t th;
    void *res = NULL;
    pthread_create(&th, NULL, exits_with_thrd_exit, NULL);
    pthread_join(th, &res);
    printf("thrd_exit: %ld\n", (long)res);
    char secret[32];
    memset(secret, 'x', sizeof secret);
    explicit_bzero(secret, 16);
    printf("explicit_bzero: %d %d\n", secret[0] == 0 && secret[15] == 0, secret[16] == 'x');
    __explicit_bzero_chk(secret + 16, 8, 16);
    printf("__explicit_bzero_chk: %d %d\n", secret[16] == 0 && secret[23] == 0, secret[24] == 'x');
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        close(2);
        __explicit_bzero_chk(secret, 17, 16); /* longer than the object: __chk_fail */
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("__explicit_bzero_chk overflow: signaled=%d sig=%d\n", WIFSIGNALED(status),
           WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    void *blocks[8];
    for (int i = 0; i < 8; i++)
        blocks[i] = malloc(1000 + 100 * i);
    struct mallinfo2 mi = mallinfo2();
    struct mallinfo old = mallinfo();
    printf("mallinfo2 matches mallinfo below 4 GiB: %d %d %d\n", mi.uordblks == (size_t)(unsigned)old.uordblks,
           mi.arena == (size_t)(unsigned)old.arena, mi.uordblks >= 8 * 1000);
    for (int i = 0; i < 8; i++)
        free(blocks[i]);
    errno = 0; r = fcntl(61, F_GETFD); printf("closefrom: %d errno=%d kept below=%d\n", r, errno, fcntl(nul, F_GETFD) >= 0);
    return 0;
}
