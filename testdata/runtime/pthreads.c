/* pthreads: threads, a mutex, a condition variable, thread-specific data and
   pthread_once. Every one of these is pthread_*@GLIBC_2.34 in libc.so.6 when linked
   against glibc >= 2.34; below 2.34 they live in libpthread.so.0. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "libc_version.h"

#define NTHREADS 8

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static long total;
static int finished;
static int once_runs;

static void make_key(void) {
    once_runs++;
    if (pthread_key_create(&key, free) != 0) abort();
}

static void *worker(void *arg) {
    long id = (long)arg;
    pthread_once(&once, make_key);
    long *mine = malloc(sizeof *mine);
    *mine = id * 1000;
    pthread_setspecific(key, mine);
    long sum = 0;
    for (long i = 1; i <= 10000 * (id + 1); i++) sum += i % 7;
    long *back = pthread_getspecific(key);
    pthread_mutex_lock(&lock);
    total += sum + *back;
    finished++;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    return (void *)(sum + id);
}

int main(int argc, char **argv) {
    (void)argv;
    report_libc("pthreads");
    pthread_t t[NTHREADS];
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    int n = NTHREADS - 1 + argc; /* argc == 1: NTHREADS threads */
    for (long i = 0; i < n; i++)
        if (pthread_create(&t[i], &attr, worker, (void *)i) != 0) {
            puts("pthread_create failed");
            return 1;
        }
    pthread_attr_destroy(&attr);
    pthread_mutex_lock(&lock);
    while (finished < n) pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    long joined = 0;
    for (int i = 0; i < n; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        joined += (long)ret;
    }
    printf("threads=%d total=%ld joined=%ld once=%d\n", n, total, joined, once_runs);
    return 0;
}
