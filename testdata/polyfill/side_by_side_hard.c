/* Side by side with glibc: __cxa_thread_atexit_impl (2.18) and the clock waits of 2.30
 * (pthread_cond_clockwait, pthread_mutex_clocklock, pthread_rwlock_clock{rd,wr}lock,
 * sem_clockwait, pthread_clockjoin_np), with a stress loop of 64 threads x 1000 iterations.
 * Prints results and errno; nothing it prints depends on timing beyond "waited at least the
 * deadline". tests/polyfill_hard.rs builds it, patches it to 2.17 and compares. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern void *__dso_handle;
extern int __cxa_thread_atexit_impl(void (*)(void *), void *, void *);

/* --- thread exit destructors --- */
#define THREADS 64
#define ITERS 1000
static char order[THREADS + 1][64];

static void note(void *p) {
    long v = (long)p;
    char *s = order[v / 100];
    size_t n = strlen(s);
    if (n < 60) {
        s[n] = (char)('a' + v % 100);
        s[n + 1] = 0;
    }
}
static void note_and_add(void *p) {
    note(p);
    /* registered by a destructor: runs too, before the older ones */
    __cxa_thread_atexit_impl(note, (char *)p + 10, &__dso_handle);
}
static void *dtor_thread(void *arg) {
    long id = (long)arg;
    __cxa_thread_atexit_impl(note, (void *)(id * 100 + 0), &__dso_handle);
    __cxa_thread_atexit_impl(note_and_add, (void *)(id * 100 + 1), &__dso_handle);
    __cxa_thread_atexit_impl(note, (void *)(id * 100 + 2), &__dso_handle);
    return 0;
}

/* --- clock waits --- */
static struct timespec in_ms(clockid_t clock, long ms) {
    struct timespec t;
    clock_gettime(clock, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_nsec -= 1000000000L;
        t.tv_sec++;
    }
    return t;
}
static long since_ms(const struct timespec *a) {
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}
static const char *clk(clockid_t c) {
    return c == CLOCK_REALTIME ? "REALTIME" : c == CLOCK_MONOTONIC ? "MONOTONIC" : "PROCESS_CPUTIME";
}

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t gates[2];
static void *hold_locks(void *arg) {
    (void)arg;
    pthread_mutex_lock(&held);
    pthread_rwlock_wrlock(&rw);
    sem_post(&gates[0]);
    sem_wait(&gates[1]);
    pthread_rwlock_unlock(&rw);
    pthread_mutex_unlock(&held);
    return 0;
}

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int flag;
static void *signaller(void *arg) {
    (void)arg;
    usleep(20000);
    pthread_mutex_lock(&m);
    flag = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&m);
    return (void *)42;
}
static void *sleeper(void *arg) {
    (void)arg;
    usleep(150000);
    return (void *)7;
}

static long counter[3];
static pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t crw = PTHREAD_RWLOCK_INITIALIZER;
static sem_t csem;
static void *stress(void *arg) {
    long id = (long)arg;
    for (int i = 0; i < ITERS; i++) {
        clockid_t c = (i + id) % 2 ? CLOCK_MONOTONIC : CLOCK_REALTIME;
        struct timespec t = in_ms(c, 60000);
        if (pthread_mutex_clocklock(&cm, c, &t) != 0)
            abort();
        counter[0]++;
        pthread_mutex_unlock(&cm);
        t = in_ms(c, 60000);
        if (pthread_rwlock_clockwrlock(&crw, c, &t) != 0)
            abort();
        counter[1]++;
        pthread_rwlock_unlock(&crw);
        t = in_ms(c, 60000);
        if (sem_clockwait(&csem, c, &t) != 0)
            abort();
        counter[2]++;
        sem_post(&csem);
    }
    return dtor_thread((void *)id);
}

int main(void) {
    /* exit() runs the main thread's destructors before atexit handlers registered earlier */
    pthread_t th;
    struct timespec t, start;
    int r;

    for (long i = 0; i < 3; i++) {
        pthread_create(&th, 0, dtor_thread, (void *)(i + 1));
        pthread_join(th, 0);
        printf("thread %ld destructors: %s\n", i + 1, order[i + 1]);
    }

    clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID};
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_t mono_cv;
    pthread_cond_init(&mono_cv, &ca);
    for (int k = 0; k < 3; k++) {
        clockid_t c = clocks[k];
        pthread_cond_t *cvs[] = {&cv, &mono_cv};
        for (int j = 0; j < 2; j++) {
            pthread_mutex_lock(&m);
            t = in_ms(c, 50);
            clock_gettime(CLOCK_MONOTONIC, &start);
            r = pthread_cond_clockwait(cvs[j], &m, c, &t);
            long ms = since_ms(&start);
            pthread_mutex_unlock(&m);
            printf("cond_clockwait %s (cond clock %s) timeout: %d waited>=50ms:%d <2s:%d\n", clk(c),
                   j ? "MONOTONIC" : "REALTIME", r, ms >= 49, ms < 2000);
        }
        pthread_mutex_lock(&m);
        t.tv_nsec = 1000000000L;
        r = pthread_cond_clockwait(&cv, &m, c, &t);
        pthread_mutex_unlock(&m);
        printf("cond_clockwait %s bad nsec: %d\n", clk(c), r);
    }
    pthread_mutex_lock(&m);
    flag = 0;
    pthread_create(&th, 0, signaller, 0);
    t = in_ms(CLOCK_MONOTONIC, 10000);
    r = 0;
    while (!flag && r == 0)
        r = pthread_cond_clockwait(&cv, &m, CLOCK_MONOTONIC, &t);
    pthread_mutex_unlock(&m);
    void *ret;
    pthread_join(th, &ret);
    printf("cond_clockwait signalled: %d flag=%d ret=%ld\n", r, flag, (long)ret);

    sem_init(&gates[0], 0, 0);
    sem_init(&gates[1], 0, 0);
    pthread_create(&th, 0, hold_locks, 0);
    sem_wait(&gates[0]);
    for (int k = 0; k < 3; k++) {
        clockid_t c = clocks[k];
        t = in_ms(c, 30);
        clock_gettime(CLOCK_MONOTONIC, &start);
        r = pthread_mutex_clocklock(&held, c, &t);
        long ms = since_ms(&start);
        printf("mutex_clocklock %s held: %d waited>=30ms:%d\n", clk(c), r, ms >= 29 || r == EINVAL);
        t = in_ms(c, 30);
        r = pthread_rwlock_clockrdlock(&rw, c, &t);
        printf("rwlock_clockrdlock %s held: %d\n", clk(c), r);
        t = in_ms(c, 30);
        r = pthread_rwlock_clockwrlock(&rw, c, &t);
        printf("rwlock_clockwrlock %s held: %d\n", clk(c), r);
        sem_t s;
        sem_init(&s, 0, 0);
        t = in_ms(c, 30);
        errno = 0;
        r = sem_clockwait(&s, c, &t);
        printf("sem_clockwait %s empty: %d errno=%d\n", clk(c), r, errno);
        sem_post(&s);
        t = in_ms(c, 30);
        errno = 0;
        r = sem_clockwait(&s, c, &t);
        printf("sem_clockwait %s posted: %d errno=%d\n", clk(c), r, errno);
        t = in_ms(c, -1000);
        r = pthread_mutex_clocklock(&held, c, &t);
        printf("mutex_clocklock %s past deadline: %d\n", clk(c), r);
    }
    sem_post(&gates[1]);
    pthread_join(th, 0);
    for (int k = 0; k < 2; k++) {
        clockid_t c = clocks[k];
        t = in_ms(c, 1000);
        r = pthread_mutex_clocklock(&held, c, &t);
        printf("mutex_clocklock %s free: %d\n", clk(c), r);
        pthread_mutex_unlock(&held);
        t = in_ms(c, 1000);
        r = pthread_rwlock_clockrdlock(&rw, c, &t);
        printf("rwlock_clockrdlock %s free: %d\n", clk(c), r);
        pthread_rwlock_unlock(&rw);
        t = in_ms(c, 1000);
        r = pthread_rwlock_clockwrlock(&rw, c, &t);
        printf("rwlock_clockwrlock %s free: %d\n", clk(c), r);
        pthread_rwlock_unlock(&rw);
    }

    for (int k = 0; k < 3; k++) {
        clockid_t c = clocks[k];
        pthread_create(&th, 0, sleeper, 0);
        t = in_ms(c, 20);
        r = pthread_clockjoin_np(th, &ret, c, &t);
        printf("clockjoin %s running: %d\n", clk(c), r);
        t = in_ms(CLOCK_MONOTONIC, 10000);
        ret = 0;
        r = pthread_clockjoin_np(th, &ret, CLOCK_MONOTONIC, &t);
        printf("clockjoin %s then MONOTONIC: %d ret=%ld\n", clk(c), r, (long)ret);
    }
    pthread_create(&th, 0, sleeper, 0);
    r = pthread_clockjoin_np(th, &ret, CLOCK_PROCESS_CPUTIME_ID, 0);
    printf("clockjoin no deadline, bad clock: %d\n", r);
    ret = 0;
    r = pthread_clockjoin_np(th, &ret, CLOCK_REALTIME, 0);
    printf("clockjoin no deadline: %d ret=%ld\n", r, (long)ret);

    /* stress: 64 threads x 1000 iterations of each clock lock, then destructors */
    sem_init(&csem, 0, 1);
    pthread_t ths[THREADS];
    memset(order, 0, sizeof order);
    for (long i = 0; i < THREADS; i++)
        pthread_create(&ths[i], 0, stress, (void *)i);
    int same = 1;
    for (long i = 0; i < THREADS; i++) {
        pthread_join(ths[i], 0);
        same &= strcmp(order[i], "cbla") == 0;
    }
    printf("stress: counters %ld %ld %ld (want %d) destructor orders all cbla: %d\n", counter[0], counter[1], counter[2],
           THREADS * ITERS, same);
    memset(order, 0, sizeof order);

    /* main: destructors run from exit(), before the atexit handler registered earlier */
    __cxa_thread_atexit_impl(note, (void *)(THREADS * 100 + 0), &__dso_handle);
    __cxa_thread_atexit_impl(note_and_add, (void *)(THREADS * 100 + 1), &__dso_handle);
    fflush(stdout);
    return 0;
}

__attribute__((destructor)) static void report(void) {
    printf("main destructors at exit: %s\n", order[THREADS]);
}
