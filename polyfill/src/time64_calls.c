/* 32-bit targets: glibc 2.34's _TIME_BITS=64 entry points of functions that take or give a
 * timespec, timeval, itimerval, rusage or utimbuf, over the older release's function of the
 * same meaning, which takes the 32-bit structure; every answer is the older glibc's own.
 * - A deadline or timeout past the 32-bit range (after 2038-01-19 03:14:07 UTC, or longer
 *   than 68 years) is that limit: the wait is the same until then (the timed locks, condition
 *   waits, joins and semaphores, sigtimedwait, clock_nanosleep, select, pselect, ppoll,
 *   gai_suspend).
 * - A time to store past that range (the utimes family, utime) is EOVERFLOW, as glibc 2.34
 *   answers on a kernel without the *_time64 system calls; setitimer refuses such an
 *   interval itself in every release. */
#include "common.h"

#if __SIZEOF_LONG__ == 4

#define EOVERFLOW 75

struct ts64_ {
    long long tv_sec;
    int tv_nsec;
    int pad;
};
struct ts32_ {
    long tv_sec, tv_nsec;
};
struct tv64_ {
    long long tv_sec, tv_usec;
};
struct tv32_ {
    long tv_sec, tv_usec;
};
struct itv64_ {
    struct tv64_ it_interval, it_value;
};
struct itv32_ {
    struct tv32_ it_interval, it_value;
};
struct rusage64_ {
    struct tv64_ ru_utime, ru_stime;
    long rest[14];
};
struct rusage32_ {
    struct tv32_ ru_utime, ru_stime;
    long rest[14];
};
struct utimbuf64_ {
    long long actime, modtime;
};
struct utimbuf32_ {
    long actime, modtime;
};

extern int pthread_cond_timedwait(void *cond, void *mutex, const struct ts32_ *abstime);
extern int pthread_mutex_timedlock(void *mutex, const struct ts32_ *abstime);
extern int pthread_rwlock_timedrdlock(void *rw, const struct ts32_ *abstime);
extern int pthread_rwlock_timedwrlock(void *rw, const struct ts32_ *abstime);
extern int pthread_timedjoin_np(unsigned long th, void **ret, const struct ts32_ *abstime);
extern int sem_timedwait(void *sem, const struct ts32_ *abstime);
extern int sigtimedwait(const void *set, void *info, const struct ts32_ *timeout);
extern int clock_nanosleep(int clock, int flags, const struct ts32_ *req, struct ts32_ *rem);
extern int timespec_get(struct ts32_ *ts, int base);
extern int select(int n, void *r, void *w, void *e, struct tv32_ *timeout);
extern int pselect(int n, void *r, void *w, void *e, const struct ts32_ *timeout, const void *sigmask);
extern int ppoll(void *fds, unsigned long n, const struct ts32_ *timeout, const void *sigmask);
extern int utimes(const char *path, const struct tv32_ tv[2]);
extern int lutimes(const char *path, const struct tv32_ tv[2]);
extern int futimes(int fd, const struct tv32_ tv[2]);
extern int futimesat(int dirfd, const char *path, const struct tv32_ tv[2]);
extern int utime(const char *path, const struct utimbuf32_ *times);
extern int getitimer(int which, struct itv32_ *value);
extern int setitimer(int which, const struct itv32_ *value, struct itv32_ *old);
extern int getrusage(int who, struct rusage32_ *usage);
extern int wait4(int pid, int *status, int options, struct rusage32_ *usage);
extern int gai_suspend(const void *const list[], int n, const struct ts32_ *timeout);

#define MIN32 (-2147483647LL - 1)
#define MAX32 2147483647LL

static int fits32(long long t) { return t >= MIN32 && t <= MAX32; }

/* A timespec for the older function, its seconds brought within the 32-bit range. */
static const struct ts32_ *ts_clamp(const struct ts64_ *in, struct ts32_ *out) {
    if (!in)
        return 0;
    out->tv_sec = in->tv_sec > MAX32 ? (long)MAX32 : in->tv_sec < MIN32 ? (long)MIN32 : (long)in->tv_sec;
    out->tv_nsec = in->tv_nsec;
    return out;
}
static void ts_widen(const struct ts32_ *in, struct ts64_ *out) {
    out->tv_sec = in->tv_sec;
    out->tv_nsec = (int)in->tv_nsec;
    out->pad = 0;
}
static int tv_narrow(const struct tv64_ *in, struct tv32_ *out) {
    /* tv_usec is 64-bit here; a value the 32-bit field cannot hold is invalid either way. */
    if (!fits32(in->tv_sec) || !fits32(in->tv_usec))
        return 0;
    out->tv_sec = (long)in->tv_sec;
    out->tv_usec = (long)in->tv_usec;
    return 1;
}
static void tv_widen(const struct tv32_ *in, struct tv64_ *out) {
    out->tv_sec = in->tv_sec;
    out->tv_usec = in->tv_usec;
}
static void ru_widen(const struct rusage32_ *in, struct rusage64_ *out) {
    tv_widen(&in->ru_utime, &out->ru_utime);
    tv_widen(&in->ru_stime, &out->ru_stime);
    for (int i = 0; i < 14; i++)
        out->rest[i] = in->rest[i];
}
static int fail(int e) {
    ERRNO = e;
    return -1;
}

/* Functions that return an error number. */
#define ABSWAIT(name, old, T, ...)                                                                                 \
    EXPORT int PF(name)(T obj, const struct ts64_ *abstime) {                                                     \
        struct ts32_ t;                                                                                             \
        return old(obj, ts_clamp(abstime, &t));                                                                     \
    }
ABSWAIT(__pthread_mutex_timedlock64, pthread_mutex_timedlock, void *)
ABSWAIT(__pthread_rwlock_timedrdlock64, pthread_rwlock_timedrdlock, void *)
ABSWAIT(__pthread_rwlock_timedwrlock64, pthread_rwlock_timedwrlock, void *)

EXPORT int PF(__pthread_cond_timedwait64)(void *cond, void *mutex, const struct ts64_ *abstime) {
    struct ts32_ t;
    return pthread_cond_timedwait(cond, mutex, ts_clamp(abstime, &t));
}

EXPORT int PF(__pthread_timedjoin_np64)(unsigned long th, void **ret, const struct ts64_ *abstime) {
    struct ts32_ t;
    return pthread_timedjoin_np(th, ret, ts_clamp(abstime, &t));
}

EXPORT int PF(__clock_nanosleep_time64)(int clock, int flags, const struct ts64_ *req, struct ts64_ *rem) {
    struct ts32_ q, m;
    ts_clamp(req, &q);
    int r = clock_nanosleep(clock, flags, &q, rem ? &m : 0);
    if (r == EINTR && rem && !(flags & 1 /* TIMER_ABSTIME */))
        ts_widen(&m, rem);
    return r;
}

/* Functions that return -1 and set errno. */
EXPORT int PF(__sem_timedwait64)(void *sem, const struct ts64_ *abstime) {
    struct ts32_ t;
    return sem_timedwait(sem, ts_clamp(abstime, &t));
}

EXPORT int PF(__sigtimedwait64)(const void *set, void *info, const struct ts64_ *timeout) {
    struct ts32_ t;
    return sigtimedwait(set, info, ts_clamp(timeout, &t));
}

EXPORT int PF(__timespec_get64)(struct ts64_ *ts, int base) {
    struct ts32_ t;
    int r = timespec_get(&t, base);
    if (r)
        ts_widen(&t, ts);
    return r;
}

EXPORT int PF(__gai_suspend_time64)(const void *const list[], int n, const struct ts64_ *timeout) {
    struct ts32_ t;
    return gai_suspend(list, n, ts_clamp(timeout, &t));
}

/* glibc 2.34's: a negative time is EINVAL, microseconds past a second carry into the seconds;
 * the time left is written back, as Linux does. */
EXPORT int PF(__select64)(int n, void *r, void *w, void *e, struct tv64_ *timeout) {
    struct tv32_ t;
    if (timeout) {
        long long s = timeout->tv_sec;
        int us = (int)timeout->tv_usec;
        if (s < 0 || us < 0)
            return fail(EINVAL);
        s += us / 1000000;
        t.tv_sec = s > MAX32 ? (long)MAX32 : (long)s;
        t.tv_usec = us % 1000000;
    }
    int ret = select(n, r, w, e, timeout ? &t : 0);
    if (timeout)
        tv_widen(&t, timeout);
    return ret;
}

EXPORT int PF(__pselect64)(int n, void *r, void *w, void *e, const struct ts64_ *timeout, const void *sigmask) {
    struct ts32_ t;
    return pselect(n, r, w, e, ts_clamp(timeout, &t), sigmask);
}

EXPORT int PF(__ppoll64)(void *fds, unsigned long n, const struct ts64_ *timeout, const void *sigmask) {
    struct ts32_ t;
    return ppoll(fds, n, ts_clamp(timeout, &t), sigmask);
}

#define TIMES2(name, old, ...)                                                                                     \
    {                                                                                                              \
        struct tv32_ t[2];                                                                                         \
        if (tv && (!tv_narrow(&tv[0], &t[0]) || !tv_narrow(&tv[1], &t[1])))                                       \
            return fail(EOVERFLOW);                                                                                \
        return old(__VA_ARGS__, tv ? t : 0);                                                                       \
    }
EXPORT int PF(__utimes64)(const char *path, const struct tv64_ tv[2]) TIMES2(__utimes64, utimes, path)
EXPORT int PF(__lutimes64)(const char *path, const struct tv64_ tv[2]) TIMES2(__lutimes64, lutimes, path)
EXPORT int PF(__futimes64)(int fd, const struct tv64_ tv[2]) TIMES2(__futimes64, futimes, fd)
EXPORT int PF(__futimesat64)(int dirfd, const char *path, const struct tv64_ tv[2])
    TIMES2(__futimesat64, futimesat, dirfd, path)

EXPORT int PF(__utime64)(const char *path, const struct utimbuf64_ *times) {
    struct utimbuf32_ t;
    if (times) {
        if (!fits32(times->actime) || !fits32(times->modtime))
            return fail(EOVERFLOW);
        t.actime = (long)times->actime;
        t.modtime = (long)times->modtime;
    }
    return utime(path, times ? &t : 0);
}

EXPORT int PF(__getitimer64)(int which, struct itv64_ *value) {
    struct itv32_ v;
    int r = getitimer(which, &v);
    if (r == 0) {
        tv_widen(&v.it_interval, &value->it_interval);
        tv_widen(&v.it_value, &value->it_value);
    }
    return r;
}

EXPORT int PF(__setitimer64)(int which, const struct itv64_ *value, struct itv64_ *old) {
    struct itv32_ v, o;
    if (!tv_narrow(&value->it_interval, &v.it_interval) || !tv_narrow(&value->it_value, &v.it_value))
        return fail(EOVERFLOW);
    int r = setitimer(which, &v, old ? &o : 0);
    if (r == 0 && old) {
        tv_widen(&o.it_interval, &old->it_interval);
        tv_widen(&o.it_value, &old->it_value);
    }
    return r;
}

EXPORT int PF(__getrusage64)(int who, struct rusage64_ *usage) {
    struct rusage32_ u;
    int r = getrusage(who, &u);
    if (r == 0)
        ru_widen(&u, usage);
    return r;
}

EXPORT int PF(__wait4_time64)(int pid, int *status, int options, struct rusage64_ *usage) {
    struct rusage32_ u;
    int r = wait4(pid, status, options, usage ? &u : 0);
    if (r > 0 && usage)
        ru_widen(&u, usage);
    return r;
}

EXPORT int PF(__wait3_time64)(int *status, int options, struct rusage64_ *usage) {
    return PF(__wait4_time64)(-1, status, options, usage);
}

#endif
