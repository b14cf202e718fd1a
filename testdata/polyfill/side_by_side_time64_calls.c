/* 32-bit programs built with _TIME_BITS=64: the timed waits, select/pselect/ppoll,
 * sigtimedwait, clock_nanosleep, timespec_get, the utimes family, itimers, getrusage,
 * wait3/wait4 and gai_suspend (polyfill/src/time64_calls.c), on answers that do not depend
 * on timing; deadlines past 2038 and before 1901 too. Lines starting "beyond:" store times
 * past 2038, which glibc 2.34 accepts and the polyfills refuse with EOVERFLOW
 * (tests/polyfill.rs checks them apart). */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#define _TIME_BITS 64
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static struct timespec in_ms(int ms) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += (ms % 1000) * 1000000L;
    t.tv_sec += ms / 1000 + t.tv_nsec / 1000000000L;
    t.tv_nsec %= 1000000000L;
    return t;
}

static void *finish(void *arg) { return (char *)arg + 1; }

static int stat_calls;
static int my_stat(const char *p, struct stat *s) { stat_calls++; return stat(p, s); }
static int my_lstat(const char *p, struct stat *s) { stat_calls++; return lstat(p, s); }
static void *my_opendir(const char *p) { return opendir(p); }
static struct dirent *my_readdir(void *d) { return readdir(d); }
static void my_closedir(void *d) { closedir(d); }

static void show_glob(const char *what, int r, glob_t *g) {
    printf("%s: r=%d n=%zu", what, r, r ? 0 : g->gl_pathc);
    for (size_t i = 0; !r && i < g->gl_pathc; i++) {
        const char *slash = strrchr(g->gl_pathv[i], '/');
        printf(" %s", slash ? slash + 1 : g->gl_pathv[i]);
    }
    printf("\n");
    if (!r)
        globfree(g);
}

static void show_times(const char *what, const char *path) {
    struct stat s;
    int r = stat(path, &s);
    printf("%s: stat r=%d atime=%lld.%09ld mtime=%lld.%09ld\n", what, r, (long long)s.st_atim.tv_sec, s.st_atim.tv_nsec,
           (long long)s.st_mtim.tv_sec, s.st_mtim.tv_nsec);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    int r;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    struct timespec t = in_ms(20);
    printf("mutex_timedlock free: %d\n", pthread_mutex_timedlock(&m, &t));
    t = in_ms(20);
    printf("mutex_timedlock held: %d\n", pthread_mutex_timedlock(&m, &t));
    struct timespec badns = {1, 1000000000};
    printf("mutex_timedlock bad nsec: %d\n", pthread_mutex_timedlock(&m, &badns));
    struct timespec far = {4102444800LL, 0};
    pthread_mutex_unlock(&m);
    printf("mutex_timedlock free, until 2100: %d\n", pthread_mutex_timedlock(&m, &far));
    pthread_cond_t c = PTHREAD_COND_INITIALIZER;
    t = in_ms(20);
    printf("cond_timedwait: %d\n", pthread_cond_timedwait(&c, &m, &t));
    printf("cond_timedwait bad nsec: %d\n", pthread_cond_timedwait(&c, &m, &badns));
    pthread_mutex_unlock(&m);
    pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
    pthread_rwlock_rdlock(&rw);
    t = in_ms(20);
    printf("rwlock_timedwrlock on read-locked: %d\n", pthread_rwlock_timedwrlock(&rw, &t));
    t = in_ms(20);
    printf("rwlock_timedrdlock on read-locked: %d\n", pthread_rwlock_timedrdlock(&rw, &t));
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_unlock(&rw);
    pthread_t th;
    void *ret = 0;
    pthread_create(&th, NULL, finish, (void *)"xy");
    t = in_ms(60000);
    r = pthread_timedjoin_np(th, &ret, &t);
    printf("timedjoin: %d ret=%s\n", r, r ? "-" : (char *)ret);

    sem_t sem;
    sem_init(&sem, 0, 0);
    t = in_ms(20);
    errno = 0; r = sem_timedwait(&sem, &t); printf("sem_timedwait empty: r=%d errno=%d\n", r, errno);
    errno = 0; r = sem_timedwait(&sem, &badns); printf("sem_timedwait bad nsec: r=%d errno=%d\n", r, errno);
    sem_post(&sem);
    errno = 0; r = sem_timedwait(&sem, &far); printf("sem_timedwait posted, until 2100: r=%d errno=%d\n", r, r ? errno : 0);
    struct timespec before = {-5000000000LL, 0};
    errno = 0; r = sem_timedwait(&sem, &before); printf("sem_timedwait empty, until 1811: r=%d errno=%d\n", r, errno);

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct timespec ten = {0, 10000000};
    errno = 0; r = sigtimedwait(&set, NULL, &ten); printf("sigtimedwait none: r=%d errno=%d\n", r, errno);
    raise(SIGUSR1);
    siginfo_t si;
    errno = 0; r = sigtimedwait(&set, &si, &ten); printf("sigtimedwait raised: r=%d signo=%d\n", r, si.si_signo);
    raise(SIGUSR1);
    struct timespec long_wait = {5000000000LL, 0};
    errno = 0; r = sigtimedwait(&set, &si, &long_wait); printf("sigtimedwait raised, 158 years: r=%d\n", r);

    struct timespec one = {0, 1000000}, rem;
    printf("clock_nanosleep 1 ms: %d\n", clock_nanosleep(CLOCK_MONOTONIC, 0, &one, &rem));
    printf("clock_nanosleep bad nsec: %d\n", clock_nanosleep(CLOCK_MONOTONIC, 0, &badns, &rem));
    struct timespec past = {1, 0};
    printf("clock_nanosleep absolute past: %d\n", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &past, NULL));
    printf("clock_nanosleep bad clock: %d\n", clock_nanosleep(12345, 0, &one, NULL));
    struct timespec now;
    r = timespec_get(&now, TIME_UTC);
    printf("timespec_get: %d agrees=%d\n", r, now.tv_sec - time(NULL) <= 5 && time(NULL) - now.tv_sec <= 5);
    printf("timespec_get bad base: %d\n", timespec_get(&now, 12345));

    int p[2];
    pipe(p);
    write(p[1], "x", 1);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(p[0], &rs);
    struct timeval tv = {0, 1500000};
    errno = 0; r = select(p[0] + 1, &rs, NULL, NULL, &tv);
    printf("select readable (1.5 s as usec): r=%d isset=%d left=%lld s, >0.4=%d\n", r, FD_ISSET(p[0], &rs), (long long)tv.tv_sec,
           tv.tv_usec > 400000);
    FD_ZERO(&rs);
    struct timeval z = {0, 10000};
    errno = 0; r = select(0, &rs, NULL, NULL, &z); printf("select none 10 ms: r=%d left=%lld.%06ld\n", r, (long long)z.tv_sec, (long)z.tv_usec);
    struct timeval neg = {-1, 0};
    errno = 0; r = select(0, NULL, NULL, NULL, &neg); printf("select negative: r=%d errno=%d\n", r, errno);
    FD_SET(p[0], &rs);
    struct timespec ps = {3000000000LL, 0};
    errno = 0; r = pselect(p[0] + 1, &rs, NULL, NULL, &ps, NULL); printf("pselect readable, 95 years: r=%d\n", r);
    struct timespec bad = {0, -1};
    errno = 0; r = pselect(0, NULL, NULL, NULL, &bad, NULL); printf("pselect bad: r=%d errno=%d\n", r, errno);
    struct pollfd pf = {p[0], POLLIN, 0};
    struct timespec pt = {1, 0};
    errno = 0; r = ppoll(&pf, 1, &pt, NULL); printf("ppoll readable: r=%d revents=%d\n", r, pf.revents);
    errno = 0; r = ppoll(&pf, 1, &bad, NULL); printf("ppoll bad: r=%d errno=%d\n", r, errno);

    char path[4096];
    snprintf(path, sizeof path, "%s/f", dir);
    close(open(path, O_CREAT | O_WRONLY, 0644));
    struct timeval tvs[2] = {{1000000000, 250000}, {-100000, 999999}};
    errno = 0; r = utimes(path, tvs); printf("utimes: r=%d errno=%d\n", r, r ? errno : 0);
    show_times("after utimes", path);
    struct timeval tvl[2] = {{1100000000, 1}, {1200000000, 2}};
    errno = 0; r = lutimes(path, tvl); printf("lutimes: r=%d\n", r);
    show_times("after lutimes", path);
    int fd = open(path, O_RDONLY);
    struct timeval tvf[2] = {{1300000000, 3}, {1400000000, 4}};
    errno = 0; r = futimes(fd, tvf); printf("futimes: r=%d\n", r);
    show_times("after futimes", path);
    errno = 0; r = futimes(-1, tvf); printf("futimes bad fd: r=%d errno=%d\n", r, errno);
    struct timeval tva[2] = {{1500000000, 5}, {1600000000, 6}};
    errno = 0; r = futimesat(AT_FDCWD, path, tva); printf("futimesat: r=%d\n", r);
    show_times("after futimesat", path);
    struct utimbuf ub = {1650000000, 1660000000};
    errno = 0; r = utime(path, &ub); printf("utime: r=%d\n", r);
    show_times("after utime", path);
    errno = 0; r = utime("/nonexistent/x", &ub); printf("utime missing: r=%d errno=%d\n", r, errno);
    struct timeval tvfar[2] = {{4102444800LL, 0}, {4102444800LL, 0}};
    errno = 0; r = utimes(path, tvfar); printf("beyond: utimes 2100: r=%d errno=%d\n", r, r ? errno : 0);
    struct utimbuf ubfar = {4102444800LL, 4102444800LL};
    errno = 0; r = utime(path, &ubfar); printf("beyond: utime 2100: r=%d errno=%d\n", r, r ? errno : 0);
    close(fd);

    /* glob, plain and with the program's own directory and stat functions. */
    char pat[4200];
    const char *names[] = {"a1", "a2", "b", "ad/"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (path[strlen(path) - 1] == '/')
            mkdir(path, 0755);
        else
            close(open(path, O_CREAT | O_WRONLY, 0644));
    }
    glob_t g;
    snprintf(pat, sizeof pat, "%s/a*", dir);
    memset(&g, 0, sizeof g);
    show_glob("glob a*", glob(pat, 0, NULL, &g), &g);
    memset(&g, 0, sizeof g);
    show_glob("glob a* mark", glob(pat, GLOB_MARK, NULL, &g), &g);
    memset(&g, 0, sizeof g);
    show_glob("glob a* onlydir", glob(pat, GLOB_ONLYDIR | GLOB_MARK, NULL, &g), &g);
    snprintf(pat, sizeof pat, "%s/z*", dir);
    memset(&g, 0, sizeof g);
    show_glob("glob z*", glob(pat, 0, NULL, &g), &g);
    snprintf(pat, sizeof pat, "%s/a*", dir);
    memset(&g, 0, sizeof g);
    g.gl_opendir = my_opendir;
    g.gl_readdir = (void *)my_readdir;
    g.gl_closedir = my_closedir;
    g.gl_stat = my_stat;
    g.gl_lstat = my_lstat;
    show_glob("glob altdirfunc mark", glob(pat, GLOB_ALTDIRFUNC | GLOB_MARK, NULL, &g), &g);
    printf("glob altdirfunc: program's stat called=%d\n", stat_calls > 0);
    memset(&g, 0, sizeof g);
    g.gl_opendir = my_opendir;
    g.gl_readdir = (void *)my_readdir;
    g.gl_closedir = my_closedir;
    g.gl_stat = my_stat;
    g.gl_lstat = my_lstat;
    show_glob("glob altdirfunc onlydir", glob(pat, GLOB_ALTDIRFUNC | GLOB_ONLYDIR | GLOB_MARK, NULL, &g), &g);

    struct itimerval it = {{0, 0}, {100, 0}}, old, cur;
    errno = 0; r = setitimer(ITIMER_REAL, &it, NULL); printf("setitimer: r=%d\n", r);
    errno = 0; r = getitimer(ITIMER_REAL, &cur);
    printf("getitimer: r=%d interval=%lld.%06ld value in (90,100]=%d\n", r, (long long)cur.it_interval.tv_sec,
           (long)cur.it_interval.tv_usec, cur.it_value.tv_sec >= 90 && (cur.it_value.tv_sec < 100 || cur.it_value.tv_usec == 0));
    struct itimerval off = {{0, 0}, {0, 0}};
    errno = 0; r = setitimer(ITIMER_REAL, &off, &old);
    printf("setitimer off: r=%d old value in (90,100]=%d\n", r, old.it_value.tv_sec >= 90 && old.it_value.tv_sec <= 100);
    errno = 0; r = setitimer(12345, &off, NULL); printf("setitimer bad: r=%d errno=%d\n", r, errno);
    struct itimerval itfar = {{0, 0}, {3000000000LL, 0}};
    errno = 0; r = setitimer(ITIMER_REAL, &itfar, NULL); printf("setitimer 95 years: r=%d errno=%d\n", r, r ? errno : 0);
    setitimer(ITIMER_REAL, &off, NULL);

    struct rusage ru;
    memset(&ru, 0x55, sizeof ru);
    errno = 0; r = getrusage(RUSAGE_SELF, &ru);
    printf("getrusage: r=%d sane=%d maxrss>0=%d\n", r, ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 &&
           ru.ru_utime.tv_usec < 1000000 && ru.ru_stime.tv_usec < 1000000, ru.ru_maxrss > 0);
    errno = 0; r = getrusage(12345, &ru); printf("getrusage bad: r=%d errno=%d\n", r, errno);
    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    int status = 0;
    memset(&ru, 0x55, sizeof ru);
    r = wait4(pid, &status, 0, &ru);
    printf("wait4: same pid=%d exit=%d sane=%d\n", r == pid, WEXITSTATUS(status), ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);
    pid = fork();
    if (pid == 0)
        _exit(9);
    memset(&ru, 0x55, sizeof ru);
    r = wait3(&status, 0, &ru);
    printf("wait3: same pid=%d exit=%d sane=%d\n", r == pid, WEXITSTATUS(status), ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000);
    errno = 0; r = wait3(&status, WNOHANG, &ru); printf("wait3 none: r=%d errno=%d\n", r, errno);

    struct gaicb req = {.ar_name = "127.0.0.1", .ar_service = "80"};
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV, .ai_family = AF_INET, .ai_socktype = SOCK_STREAM};
    req.ar_request = &hints;
    struct gaicb *list[1] = {&req};
    r = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL);
    struct timespec gt = {10, 0};
    while (gai_error(&req) == EAI_INPROGRESS)
        gai_suspend((const struct gaicb *const *)list, 1, &gt);
    printf("getaddrinfo_a: r=%d gai_error=%d family=%d\n", r, gai_error(&req),
           req.ar_result ? req.ar_result->ai_family : -1);
    return 0;
}
