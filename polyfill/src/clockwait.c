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
 * time32 functions (a _TIME_BITS=64 program calls the __*64 ones, which have no polyfill);
 * not ported yet. */
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

/* The clock of a condition variable's attribute. glibc keeps it in some bits of one 32-bit
 * word of pthread_cond_t, which has moved: before 2.25 bit 0 of __nwaiters (offset 40),
 * from 2.25 bit 1 of __wrefs (offset 36), and since 2.41 (which dropped __g_refs; stable
 * updates of older releases may carry the change) __wrefs is at offset 28. No release
 * number tells which: the word and its bits are found once by initializing one condition
 * variable for each clock and comparing them. */
extern int pthread_condattr_init(void *);
extern int pthread_condattr_setclock(void *, int);
extern int pthread_cond_init(void *, const void *);

enum { COND_WORDS = 12 }; /* sizeof (pthread_cond_t) on every 64-bit architecture: 48 */
static int clock_word = -1; /* -1: not found yet; -2: no word differs */
static unsigned int clock_mask, clock_monotonic;

static void find_clock_word(void) {
    union {
        unsigned int w[COND_WORDS];
        long long align;
    } cond[2];
    union {
        int value;
        long long align;
    } attr;
    for (int i = 0; i < 2; i++) {
        for (int k = 0; k < COND_WORDS; k++)
            cond[i].w[k] = 0;
        pthread_condattr_init(&attr);
        if (i)
            pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
        pthread_cond_init(&cond[i], &attr);
    }
    int word = -2;
    for (int k = 0; k < COND_WORDS && word == -2; k++)
        if (cond[0].w[k] != cond[1].w[k]) {
            clock_mask = cond[0].w[k] ^ cond[1].w[k];
            clock_monotonic = cond[1].w[k] & clock_mask;
            word = k;
        }
    /* Threads that race here store the same values. */
    __atomic_store_n(&clock_word, word, __ATOMIC_RELEASE);
}

static int cond_clock(const void *cond) {
    int word = __atomic_load_n(&clock_word, __ATOMIC_ACQUIRE);
    if (word == -1) {
        find_clock_word();
        word = __atomic_load_n(&clock_word, __ATOMIC_ACQUIRE);
    }
    if (word < 0)
        return CLOCK_REALTIME;
    unsigned int v = __atomic_load_n((const unsigned int *)cond + word, __ATOMIC_RELAXED);
    return (v & clock_mask) == clock_monotonic ? CLOCK_MONOTONIC : CLOCK_REALTIME;
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
