/* glibc 2.28's C11 threads (<threads.h>), which glibc implements over its pthreads: the same
 * calls here, through the pthread functions every release exports, with glibc's mapping of
 * error numbers to thrd_* results (sysdeps/pthread/thrd_priv.h). The types are the pthread
 * types (glibc asserts the sizes): thrd_t is pthread_t, mtx_t pthread_mutex_t, cnd_t
 * pthread_cond_t, tss_t pthread_key_t, once_flag pthread_once_t. */
#include "common.h"

#define thrd_success 0
#define thrd_busy 1
#define thrd_error 2
#define thrd_nomem 3
#define thrd_timedout 4
#define EBUSY 16
#define ETIMEDOUT 110
#define mtx_recursive 1
#define PTHREAD_MUTEX_NORMAL 0
#define PTHREAD_MUTEX_RECURSIVE 1

typedef unsigned long pthread_t;
struct timespec;
typedef struct { long align[5]; } mutexattr_storage; /* >= sizeof (pthread_mutexattr_t) */

extern int pthread_create(pthread_t *, const void *, void *(*)(void *), void *);
extern int pthread_join(pthread_t, void **);
extern int pthread_detach(pthread_t);
extern pthread_t pthread_self(void);
extern int pthread_mutexattr_init(void *);
extern int pthread_mutexattr_settype(void *, int);
extern int pthread_mutex_init(void *, const void *);
extern int pthread_mutex_lock(void *);
extern int pthread_mutex_trylock(void *);
extern int pthread_mutex_timedlock(void *, const struct timespec *);
extern int pthread_mutex_unlock(void *);
extern int pthread_mutex_destroy(void *);
extern int pthread_cond_init(void *, const void *);
extern int pthread_cond_signal(void *);
extern int pthread_cond_broadcast(void *);
extern int pthread_cond_wait(void *, void *);
extern int pthread_cond_timedwait(void *, void *, const struct timespec *);
extern int pthread_cond_destroy(void *);
extern int pthread_key_create(unsigned int *, void (*)(void *));
extern int pthread_key_delete(unsigned int);
extern void *pthread_getspecific(unsigned int);
extern int pthread_setspecific(unsigned int, const void *);
extern int pthread_once(int *, void (*)(void));
extern void *malloc(size_t);
extern void free(void *);

static int err_map(int e) {
    switch (e) {
    case 0:
        return thrd_success;
    case ENOMEM:
        return thrd_nomem;
    case ETIMEDOUT:
        return thrd_timedout;
    case EBUSY:
        return thrd_busy;
    default:
        return thrd_error;
    }
}

/* glibc's start_thread calls a C11 thread's function as int (*)(void *) and keeps the
 * result as (void *)(uintptr_t) result, which thrd_join reads back as int. An old
 * pthread_create knows only void *(*)(void *): a trampoline makes that call. */
struct start {
    int (*func)(void *);
    void *arg;
};
static void *trampoline(void *p) {
    struct start s = *(struct start *)p;
    free(p);
    return (void *)(uintptr_t)s.func(s.arg);
}
EXPORT int PF(thrd_create)(pthread_t *thr, int (*func)(void *), void *arg) {
    struct start *s = malloc(sizeof *s);
    if (!s)
        return thrd_nomem;
    s->func = func;
    s->arg = arg;
    int e = pthread_create(thr, 0, trampoline, s);
    if (e)
        free(s);
    return err_map(e);
}
EXPORT int PF(thrd_join)(pthread_t thr, int *res) {
    void *r = 0;
    int e = pthread_join(thr, &r);
    if (res)
        *res = (int)(uintptr_t)r;
    return err_map(e);
}
EXPORT int PF(thrd_detach)(pthread_t thr) { return err_map(pthread_detach(thr)); }
EXPORT pthread_t PF(thrd_current)(void) { return pthread_self(); }
EXPORT int PF(thrd_equal)(pthread_t a, pthread_t b) { return a == b; }
/* glibc: clock_nanosleep (CLOCK_REALTIME, 0, ...), whose error number maps to -1 for
 * EINTR and -2 otherwise; errno is not touched. */
#if defined(__x86_64__)
#define SYS_clock_nanosleep 230
#define SYS_sched_yield 24
#elif defined(__aarch64__)
#define SYS_clock_nanosleep 115
#define SYS_sched_yield 124
#else
/* 32-bit: the time32 call, for the 32-bit time_t thrd_sleep (a _TIME_BITS=64 program calls
 * __thrd_sleep64, which has no polyfill). */
#define SYS_clock_nanosleep __NR_clock_nanosleep
#define SYS_sched_yield __NR_sched_yield
#endif
EXPORT int PF(thrd_sleep)(const struct timespec *t, struct timespec *rem) {
    long r = sys6(SYS_clock_nanosleep, 0 /* CLOCK_REALTIME */, 0, (long)t, (long)rem, 0, 0);
    if (r == 0)
        return 0;
    return r == -EINTR ? -1 : -2;
}
EXPORT void PF(thrd_yield)(void) { sys6(SYS_sched_yield, 0, 0, 0, 0, 0, 0); }

EXPORT int PF(mtx_init)(void *m, int type) {
    mutexattr_storage attr;
    pthread_mutexattr_init(&attr);
    /* mtx_plain | mtx_recursive and mtx_timed | mtx_recursive; anything else is normal. */
    int recursive = type == (0 | mtx_recursive) || type == (2 | mtx_recursive);
    pthread_mutexattr_settype(&attr, recursive ? PTHREAD_MUTEX_RECURSIVE : PTHREAD_MUTEX_NORMAL);
    return err_map(pthread_mutex_init(m, &attr));
}
EXPORT int PF(mtx_lock)(void *m) { return err_map(pthread_mutex_lock(m)); }
EXPORT int PF(mtx_trylock)(void *m) { return err_map(pthread_mutex_trylock(m)); }
EXPORT int PF(mtx_timedlock)(void *m, const struct timespec *t) { return err_map(pthread_mutex_timedlock(m, t)); }
EXPORT int PF(mtx_unlock)(void *m) { return err_map(pthread_mutex_unlock(m)); }
EXPORT void PF(mtx_destroy)(void *m) { pthread_mutex_destroy(m); }

EXPORT int PF(cnd_init)(void *c) { return err_map(pthread_cond_init(c, 0)); }
EXPORT int PF(cnd_signal)(void *c) { return err_map(pthread_cond_signal(c)); }
EXPORT int PF(cnd_broadcast)(void *c) { return err_map(pthread_cond_broadcast(c)); }
EXPORT int PF(cnd_wait)(void *c, void *m) { return err_map(pthread_cond_wait(c, m)); }
EXPORT int PF(cnd_timedwait)(void *c, void *m, const struct timespec *t) {
    return err_map(pthread_cond_timedwait(c, m, t));
}
EXPORT void PF(cnd_destroy)(void *c) { pthread_cond_destroy(c); }

EXPORT int PF(tss_create)(unsigned int *key, void (*dtor)(void *)) { return err_map(pthread_key_create(key, dtor)); }
EXPORT void *PF(tss_get)(unsigned int key) { return pthread_getspecific(key); }
EXPORT int PF(tss_set)(unsigned int key, void *v) { return err_map(pthread_setspecific(key, v)); }
EXPORT void PF(tss_delete)(unsigned int key) { pthread_key_delete(key); }

EXPORT void PF(call_once)(int *flag, void (*func)(void)) { pthread_once(flag, func); }
