/* hello.c: a small program that imports glibc symbols at many different
 * symbol versions, for elfcompat's reader tests.  Every call is real (its
 * result is printed or checked) so that no call is optimized away, and the
 * output is deterministic when run without arguments on glibc 2.36.
 *
 * Expected imports (glibc 2.36, x86_64; other architectures differ where the
 * architecture's base version is newer):
 *   printf/puts            GLIBC_2.2.5 (base)
 *   memcpy                 GLIBC_2.14
 *   pthread_create/join    GLIBC_2.34 (moved into libc.so.6)
 *   dlopen/dlsym/dlclose   GLIBC_2.34 (moved into libc.so.6)
 *   __libc_start_main      GLIBC_2.34
 *   pow/exp/log            GLIBC_2.29 (libm.so.6)
 *   stat/fstat             GLIBC_2.33
 *   getrandom              GLIBC_2.25
 *   reallocarray           GLIBC_2.26
 *   gettid                 GLIBC_2.30
 *   __libc_single_threaded GLIBC_2.32, WEAK reference (data object)
 *   elfcompat_optional_hook  weak, undefined everywhere (unversioned)
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* A weak reference to a glibc data symbol: the verneed entry for its version
 * gets VER_FLG_WEAK, because no strong reference needs that version. */
extern char __libc_single_threaded __attribute__((weak));

/* A weak reference that no library defines: stays unversioned and resolves
 * to NULL. */
extern void elfcompat_optional_hook(void) __attribute__((weak));

/* A table of pointers gives a PIE a run of relative relocations (and a
 * bitmap entry when linked with -z pack-relative-relocs). */
static const char *const words[] = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta",
};

static void *worker(void *arg)
{
    int *n = arg;
    *n = *n * 2 + 1;
    return arg;
}

int main(int argc, char **argv)
{
    /* Single-threaded flag, read before any thread exists. */
    if (&__libc_single_threaded != NULL)
        printf("single_threaded=%d\n", (int)__libc_single_threaded);
    else
        puts("single_threaded=absent");

    if (elfcompat_optional_hook != NULL)
        elfcompat_optional_hook();
    else
        puts("optional_hook=absent");

    /* memcpy with a run-time length so it stays a call. */
    size_t len = strlen(argv[0]) + 1;
    char *copy = malloc(len);
    if (copy == NULL)
        return 1;
    memcpy(copy, argv[0], len);
    printf("memcpy=%s\n", strcmp(copy, argv[0]) == 0 ? "ok" : "bad");
    free(copy);

    /* libm at GLIBC_2.29; arguments depend on argc so nothing is folded. */
    double x = argc + 1.0;
    printf("pow=%.3f exp=%.3f log=%.3f\n", pow(x, 2.5), exp(x), log(x * 4.0));

    /* Threads (libc 2.34). */
    pthread_t t;
    int n = argc;
    void *ret = NULL;
    if (pthread_create(&t, NULL, worker, &n) != 0 || pthread_join(t, &ret) != 0)
        return 2;
    printf("thread=%d\n", *(int *)ret);

    /* dlopen/dlsym (libc 2.34). */
    void *h = dlopen("libm.so.6", RTLD_NOW);
    if (h != NULL) {
        double (*fn)(double) = (double (*)(double))dlsym(h, "sqrt");
        printf("dlsym=%s\n", fn != NULL && fn(16.0 * argc) == 4.0 * argc ? "ok" : "bad");
        dlclose(h);
    } else {
        puts("dlopen=failed");
    }

    /* stat/fstat: exported functions since 2.33.  A relative path, because
     * qemu-user's -L prefix remaps some absolute paths and not others. */
    struct stat st1, st2;
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    int same = fd >= 0 && stat(".", &st1) == 0 && fstat(fd, &st2) == 0 &&
               st1.st_ino == st2.st_ino && st1.st_dev == st2.st_dev;
    if (fd >= 0)
        close(fd);
    printf("stat=%s\n", same ? "ok" : "bad");

    /* getrandom (2.25). */
    unsigned char buf[8];
    ssize_t got = getrandom(buf, sizeof buf, GRND_NONBLOCK);
    printf("getrandom=%s\n", got == (ssize_t)sizeof buf ? "ok" : "short");

    /* reallocarray (2.26). */
    int *arr = reallocarray(NULL, (size_t)argc + 3, sizeof *arr);
    if (arr == NULL)
        return 3;
    for (int i = 0; i < argc + 3; i++)
        arr[i] = i * i;
    printf("reallocarray=%d\n", arr[argc + 2]);
    free(arr);

    /* gettid (2.30). */
    printf("gettid=%s\n", gettid() > 0 ? "ok" : "bad");

    printf("word=%s\n", words[(argc - 1) % 8]);
    puts("hello from elfcompat");
    return 0;
}
