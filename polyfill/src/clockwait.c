/* glibc 2.30's waits with a deadline on a chosen clock (pthread_cond_clockwait,
 * pthread_mutex_clocklock, pthread_rwlock_clockrdlock/clockwrlock, sem_clockwait,
 * pthread_clockjoin_np), over the timed functions every release has. glibc accepts
 * CLOCK_REALTIME and CLOCK_MONOTONIC and fails with EINVAL for any other clock; so do these.
 *
 * The timed functions take a CLOCK_REALTIME deadline (a condition variable: the clock of its
 * attribute). A deadline on the other clock is converted once, on entry, by the distance
 * between the two clocks at that moment. What differs from glibc: if the realtime clock is
 * set (jumps) during the wait, a converted monotonic deadline moves with it, so the wait
 * ends early or late by the jump; glibc's does not move. */
#include "common.h"
/* Not on 32-bit targets: there the waits take a 32-bit time_t timespec only in the
 * time32 functions (a _TIME_BITS=64 program calls the __*64 ones, which have no polyfill),
 * and the pre-2.25 pthread_cond_t layout cond_clock reads differs; not ported yet. */
#if __SIZEOF_LONG__ == 8

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define ETIMEDOUT 110

typedef unsigned long pthread_t;
struct timespec {
    long tv_sec;
    long tv_nsec;
};

extern int clock_gettime(int, struct timespec *);
extern int pthread_cond_timedwait(void *, void *, const struct timespec *);
extern int pthread_mutex_timedlock(void *, const struct timespec *);
extern int pthread_rwlock_timedrdlock(void *, const struct timespec *);
extern int pthread_rwlock_timedwrlock(void *, const struct timespec *);
extern int sem_timedwait(void *, const struct timespec *);
extern int pthread_timedjoin_np(pthread_t, void **, const struct timespec *);
extern int pthread_join(pthread_t, void **);
extern const char *gnu_get_libc_version(void);

static int supported(int clock) { return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC; }

/* `abstime` on clock `from` as a deadline on clock `to`. A malformed one is passed through
 * unchanged, so that the timed function rejects it (EINVAL) as glibc's would. */
static struct timespec convert(const struct timespec *abstime, int from, int to) {
    struct timespec t = *abstime, now_from, now_to;
    if (from == to || t.tv_nsec < 0 || t.tv_nsec >= 1000000000L)
        return t;
    clock_gettime(from, &now_from);
    clock_gettime(to, &now_to);
    t.tv_sec += now_to.tv_sec - now_from.tv_sec;
    t.tv_nsec += now_to.tv_nsec - now_from.tv_nsec;
    if (t.tv_nsec < 0) {
        t.tv_nsec += 1000000000L;
        t.tv_sec--;
    } else if (t.tv_nsec >= 1000000000L) {
        t.tv_nsec -= 1000000000L;
        t.tv_sec++;
    }
    return t;
}

static struct timespec realtime(const struct timespec *abstime, int clock) {
    return convert(abstime, clock, CLOCK_REALTIME);
}

/* The clock of a condition variable's attribute, from glibc's pthread_cond_t (the same on
 * x86_64 and aarch64): since 2.25 bit 1 of __wrefs (offset 36), before it bit 0 of
 * __nwaiters (offset 40). */
static int cond_clock(const void *cond) {
    const char *v = gnu_get_libc_version();
    int major = 0, minor = 0;
    while (*v >= '0' && *v <= '9')
        major = major * 10 + (*v++ - '0');
    if (*v == '.')
        v++;
    while (*v >= '0' && *v <= '9')
        minor = minor * 10 + (*v++ - '0');
    const unsigned char *c = cond;
    if (major > 2 || minor >= 25)
        return (*(const unsigned int *)(c + 36) & 2) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
    return (*(const unsigned int *)(c + 40) & 1) ? CLOCK_MONOTONIC : CLOCK_REALTIME;
}

EXPORT int PF(pthread_cond_clockwait)(void *cond, void *mutex, int clock, const struct timespec *abstime) {
    if (!supported(clock))
        return EINVAL;
    struct timespec t = convert(abstime, clock, cond_clock(cond));
    return pthread_cond_timedwait(cond, mutex, &t);
}

EXPORT int PF(pthread_mutex_clocklock)(void *mutex, int clock, const struct timespec *abstime) {
    if (!supported(clock))
        return EINVAL;
    struct timespec t = realtime(abstime, clock);
    return pthread_mutex_timedlock(mutex, &t);
}

EXPORT int PF(pthread_rwlock_clockrdlock)(void *rwlock, int clock, const struct timespec *abstime) {
    if (!supported(clock))
        return EINVAL;
    struct timespec t = realtime(abstime, clock);
    return pthread_rwlock_timedrdlock(rwlock, &t);
}

EXPORT int PF(pthread_rwlock_clockwrlock)(void *rwlock, int clock, const struct timespec *abstime) {
    if (!supported(clock))
        return EINVAL;
    struct timespec t = realtime(abstime, clock);
    return pthread_rwlock_timedwrlock(rwlock, &t);
}

EXPORT int PF(sem_clockwait)(void *sem, int clock, const struct timespec *abstime) {
    if (!supported(clock)) {
        ERRNO = EINVAL;
        return -1;
    }
    struct timespec t = realtime(abstime, clock);
    return sem_timedwait(sem, &t);
}

/* glibc: the clock is checked first; a null deadline then waits without one, as
 * pthread_join. */
EXPORT int PF(pthread_clockjoin_np)(pthread_t thread, void **ret, int clock, const struct timespec *abstime) {
    if (!supported(clock))
        return EINVAL;
    if (!abstime)
        return pthread_join(thread, ret);
    struct timespec t = realtime(abstime, clock);
    return pthread_timedjoin_np(thread, ret, &t);
}
#endif
