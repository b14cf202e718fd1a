/* The polyfills of issue #12 side by side with glibc's own (host glibc 2.36), like
 * side_by_side.c: C11 threads (also under a stress loop), the signal and errno names,
 * timespec_getres, twalk_r, the res_*ok renames and the system-call wrappers. Built on the
 * host, run as built and after `elfcompat patch --glibc 2.17` on 2.36 and 2.31: the outputs
 * must match. Nothing printed may depend on the run (times, addresses, thread ids). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <resolv.h>
#include <sched.h>
#include <search.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>

/* Declared here: not every one is in a 2.36 header a program can include together. */
extern int process_mrelease(int, unsigned int);

/* C11 threads. */
static mtx_t m;
static cnd_t c;
static long counter;
static int ready;
static tss_t key;
static once_flag once = ONCE_FLAG_INIT;
static int once_runs;
static int dtor_runs;
static void once_fn(void) { once_runs++; }
static void dtor(void *p) { (void)p; __atomic_fetch_add(&dtor_runs, 1, __ATOMIC_SEQ_CST); }

static int worker(void *arg) {
    long n = (long)arg;
    tss_set(key, (void *)(n + 1));
    call_once(&once, once_fn);
    for (long i = 0; i < n; i++) {
        mtx_lock(&m);
        counter++;
        mtx_unlock(&m);
    }
    mtx_lock(&m);
    ready++;
    cnd_broadcast(&c);
    mtx_unlock(&m);
    return (int)(n % 1000) - 500 + (tss_get(key) == (void *)(n + 1));
}
static int returns_negative(void *arg) { (void)arg; return -7; }
static int exits(void *arg) { (void)arg; thrd_exit(99); }

static void threads(void) {
    printf("mtx_init plain: %d\n", mtx_init(&m, mtx_plain));
    mtx_t r, t;
    printf("mtx_init recursive: %d\n", mtx_init(&r, mtx_plain | mtx_recursive));
    int a = mtx_lock(&r), b = mtx_lock(&r), d = mtx_trylock(&r);
    printf("recursive lock twice: %d %d trylock=%d\n", a, b, d);
    a = mtx_unlock(&r), b = mtx_unlock(&r), d = mtx_unlock(&r);
    printf("unlock x3: %d %d %d\n", a, b, d);
    mtx_destroy(&r);
    printf("mtx_init timed: %d\n", mtx_init(&t, mtx_timed));
    a = mtx_trylock(&t), b = mtx_trylock(&t);
    printf("trylock free=%d busy=%d\n", a, b);
    struct timespec past = {0, 0};
    printf("timedlock held, past deadline: %d\n", mtx_timedlock(&t, &past));
    struct timespec bad = {0, 2000000000L};
    printf("timedlock bad timespec: %d\n", mtx_timedlock(&t, &bad));
    mtx_unlock(&t);
    printf("timedlock free: %d\n", mtx_timedlock(&t, &past));
    mtx_unlock(&t);
    mtx_destroy(&t);
    printf("cnd_init: %d\n", cnd_init(&c));
    mtx_lock(&m);
    printf("cnd_timedwait past: %d\n", cnd_timedwait(&c, &m, &past));
    mtx_unlock(&m);
    a = cnd_signal(&c), b = cnd_broadcast(&c);
    printf("cnd_signal no waiter: %d broadcast: %d\n", a, b);
    printf("tss_create: %d\n", tss_create(&key, dtor));
    printf("tss_get unset: %d\n", tss_get(key) == NULL);
    a = tss_set(key, (void *)5);
    printf("tss_set: %d get: %ld\n", a, (long)tss_get(key));
    thrd_t self = thrd_current();
    printf("thrd_equal self: %d\n", thrd_equal(self, thrd_current()) != 0);
    /* threads.h defines thrd_equal inline at -O1: called through a pointer, it is the
     * library's function (or its polyfill). */
    int (*volatile equal)(thrd_t, thrd_t) = thrd_equal;
    printf("thrd_equal called: self %d\n", equal(self, thrd_current()) != 0);

    /* Stress: many threads, many iterations, results through thrd_join. */
    enum { N = 16 };
    long per = 20000;
    thrd_t th[N];
    int ok = 1;
    for (int round = 0; round < 5; round++) {
        counter = 0;
        ready = 0;
        for (int i = 0; i < N; i++)
            ok &= thrd_create(&th[i], worker, (void *)(per + i)) == thrd_success;
        mtx_lock(&m);
        while (ready < N)
            ok &= cnd_wait(&c, &m) == thrd_success;
        mtx_unlock(&m);
        long sum = 0;
        for (int i = 0; i < N; i++) {
            int res = 0;
            ok &= thrd_join(th[i], &res) == thrd_success;
            sum += res;
        }
        printf("round %d: counter=%ld results=%ld ok=%d\n", round, counter, sum, ok);
    }
    printf("call_once ran %d time(s); destructors %d\n", once_runs, dtor_runs);
    thrd_t neg, ex, det;
    int res = 0;
    thrd_create(&neg, returns_negative, NULL);
    a = thrd_join(neg, &res);
    printf("join negative: %d res=%d\n", a, res);
    thrd_create(&ex, exits, NULL);
    a = thrd_join(ex, &res);
    printf("join thrd_exit: %d res=%d\n", a, res);
    thrd_create(&det, returns_negative, NULL);
    printf("detach: %d\n", thrd_detach(det));
    thrd_create(&neg, returns_negative, NULL);
    printf("join NULL res: %d\n", thrd_join(neg, NULL));
    struct timespec shortest = {0, 1000}, rem;
    printf("thrd_sleep: %d\n", thrd_sleep(&shortest, &rem));
    printf("thrd_sleep bad: %d\n", thrd_sleep(&bad, NULL));
    thrd_yield();
    tss_delete(key);
    cnd_destroy(&c);
    mtx_destroy(&m);
}

static void walk_action(const void *node, VISIT v, void *closure) {
    char *out = closure;
    char item[32];
    snprintf(item, sizeof item, "%d%c ", **(const int *const *)node, "pmel"[v]);
    strcat(out, item);
}
static int cmp(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(void) {
    threads();
    for (int s = -2; s < 70; s += 1) {
        const char *a = sigabbrev_np(s);
        printf("sigabbrev_np %d: %s\n", s, a ? a : "(null)");
    }
    for (int e = -2; e < 140; e++) {
        const char *n = strerrorname_np(e);
        printf("strerrorname_np %d: %s\n", e, n ? n : "(null)");
    }
    struct timespec ts = {-1, -1};
    int g = timespec_getres(&ts, TIME_UTC);
    printf("timespec_getres UTC: %d ns>0=%d\n", g, ts.tv_nsec > 0 || ts.tv_sec > 0);
    printf("timespec_getres NULL: %d\n", timespec_getres(NULL, TIME_UTC));
    for (int base = -1; base < 6; base++) {
        struct timespec t = {-1, -1};
        errno = 0;
        int b = timespec_getres(&t, base);
        printf("timespec_getres %d: %d errno=%d untouched=%d\n", base, b, errno, t.tv_sec == -1 && t.tv_nsec == -1);
    }

    static int keys[] = {50, 20, 80, 10, 30, 70, 90, 60, 65, 5};
    void *root = NULL;
    for (unsigned i = 0; i < sizeof keys / sizeof keys[0]; i++)
        tsearch(&keys[i], &root, cmp);
    char out[1024] = "";
    twalk_r(root, walk_action, out);
    printf("twalk_r: %s\n", out);
    out[0] = 0;
    twalk_r(NULL, walk_action, out);
    twalk_r(root, NULL, out);
    printf("twalk_r NULL: [%s]\n", out);

    const char *names[] = {"example.com", "a-b.c", "-bad.com", "under_score.org", "x..y", "mail.x.org",
                           "a\\.b.com", "*.wild.org", "", ".", "tab\t.org", "0.1.2.3"};
    for (unsigned i = 0; i < sizeof names / sizeof names[0]; i++)
        printf("res ok %-18s hn=%d dn=%d mail=%d own=%d\n", names[i], res_hnok(names[i]), res_dnok(names[i]),
               res_mailok(names[i]), res_ownok(names[i]));

    int ep = epoll_create1(0);
    struct epoll_event ev;
    struct timespec zero = {0, 0};
    errno = 0; int r = epoll_pwait2(ep, &ev, 1, &zero, NULL); printf("epoll_pwait2: %d errno=%d\n", r, errno);
    errno = 0; r = epoll_pwait2(-1, &ev, 1, &zero, NULL); printf("epoll_pwait2 badfd: %d errno=%d\n", r, errno);
    errno = 0; r = epoll_pwait2(ep, &ev, 0, &zero, NULL); printf("epoll_pwait2 maxevents 0: %d errno=%d\n", r, errno);

    errno = 0; r = fsopen("no-such-filesystem", 0); printf("fsopen unknown: %d errno=%d\n", r, errno);
    errno = 0; r = fsopen("tmpfs", 0x80); printf("fsopen badflag: %d errno=%d\n", r, errno);
    errno = 0; r = fsmount(-1, 0, 0); printf("fsmount badfd: %d errno=%d\n", r, errno);
    errno = 0; r = fsconfig(-1, FSCONFIG_CMD_CREATE, NULL, NULL, 0); printf("fsconfig badfd: %d errno=%d\n", r, errno);
    errno = 0; r = fspick(AT_FDCWD, "/nonexistent", 0); printf("fspick missing: %d errno=%d\n", r, errno);
    errno = 0; r = move_mount(-1, "", -1, "", 0x1000); printf("move_mount bad: %d errno=%d\n", r, errno);
    errno = 0; r = open_tree(AT_FDCWD, "/nonexistent", 0); printf("open_tree missing: %d errno=%d\n", r, errno);
    errno = 0; r = mount_setattr(-1, "", 0, NULL, 0); printf("mount_setattr bad: %d errno=%d\n", r, errno);

    errno = 0; r = process_madvise(-1, NULL, 0, 0, 0); printf("process_madvise badfd: %d errno=%d\n", r, errno);
    errno = 0; r = process_mrelease(-1, 0); printf("process_mrelease badfd: %d errno=%d\n", r, errno);
    errno = 0; r = pkey_alloc(0x80, 0); printf("pkey_alloc badflag: %d errno=%d\n", r, errno);
    errno = 0; r = pkey_free(1000); printf("pkey_free bad: %d errno=%d\n", r, errno);
    void *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    errno = 0; r = pkey_mprotect(page, 4096, PROT_READ, -1); printf("pkey_mprotect -1: %d errno=%d\n", r, errno);
    errno = 0; r = pkey_mprotect(page, 4096, PROT_READ, 1000); printf("pkey_mprotect bad key: %d errno=%d\n", r, errno);
    errno = 0; r = mlock2(page, 4096, 0); printf("mlock2 0: %d errno=%d\n", r, r ? errno : 0);
    errno = 0; r = mlock2(page, 4096, 0x80); printf("mlock2 badflag: %d errno=%d\n", r, errno);
    munlock(page, 4096);
    char *argv[] = {"true", NULL};
    errno = 0; r = execveat(-1, "x", argv, argv + 1, 0); printf("execveat badfd: %d errno=%d\n", r, errno);
    errno = 0; r = execveat(AT_FDCWD, "/nonexistent", argv, argv + 1, 0); printf("execveat missing: %d errno=%d\n", r, errno);
    errno = 0; r = execveat(AT_FDCWD, "/", argv, argv + 1, 0x80000); printf("execveat badflag: %d errno=%d\n", r, errno);
    errno = 0; r = tgkill(getpid(), (pid_t)syscall(SYS_gettid), 0); printf("tgkill 0: %d errno=%d\n", r, errno);
    errno = 0; r = tgkill(getpid(), -5, 0); printf("tgkill bad tid: %d errno=%d\n", r, errno);
    unsigned cpu = 99999, node = 99999;
    errno = 0; r = getcpu(&cpu, &node); printf("getcpu: %d cpu<4096=%d node<4096=%d\n", r, cpu < 4096, node < 4096);
    return 0;
}
