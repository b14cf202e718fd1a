/* 32-bit programs built with _TIME_BITS=64: glibc 2.34's calendar functions (__gmtime64_r,
 * __localtime64_r, __mktime64, __timegm64, __ctime64, __difftime64, ...), clock_getres and
 * clock_settime, settimeofday, the POSIX timers and prctl, in several time zones (a
 * leap-second "right/" zone among them), over times inside and outside the 32-bit range.
 *
 * Lines starting "beyond:" are the local times (and timer values) outside the 32-bit range,
 * which glibc 2.34 answers and the polyfills refuse with EOVERFLOW, as the older 32-bit
 * functions do: tests/polyfill.rs compares every other line with the unpatched program and
 * checks these separately. */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#define _TIME_BITS 64
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <time.h>

static void tm_line(const char *what, long long t, const struct tm *tm) {
    if (!tm) {
        printf("%s(%lld): NULL errno=%d\n", what, t, errno);
        return;
    }
    printf("%s(%lld): %d-%02d-%02d %02d:%02d:%02d wday=%d yday=%d isdst=%d gmtoff=%ld zone=%s\n", what, t,
           tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec, tm->tm_wday,
           tm->tm_yday, tm->tm_isdst, tm->tm_gmtoff, tm->tm_zone ? tm->tm_zone : "(null)");
}

static int fits32(long long t) { return t >= INT32_MIN && t <= INT32_MAX; }

static void one(long long t) {
    time_t tt = t;
    struct tm tm, *p;
    char buf[64];
    /* UTC: exact everywhere. */
    errno = 0; p = gmtime_r(&tt, &tm); tm_line("gmtime_r", t, p);
    errno = 0; p = gmtime(&tt); tm_line("gmtime", t, p);
    if (p) {
        /* timegm normalises: push the fields out of range and back. */
        struct tm n = *p;
        n.tm_mon += 25;
        n.tm_sec -= 100000;
        n.tm_mday += 40;
        errno = 0;
        time_t back = timegm(&n);
        printf("timegm(shifted %lld): %lld errno=%d\n", t, (long long)back, back == -1 ? errno : 0);
        tm_line("  normalised", t, back == -1 ? NULL : &n);
        struct tm same = *p;
        printf("timegm(gmtime(%lld)) == t: %d\n", t, timegm(&same) == tt);
    }
    printf("difftime(%lld, 1e9) = %.17g, (0, %lld) = %.17g\n", t, difftime(tt, 1000000000), t, difftime(0, tt));
    /* Local time: the polyfills' answer inside the 32-bit range is the older glibc's own. */
    const char *tag = fits32(t) ? "" : "beyond: ";
    errno = 0; p = localtime_r(&tt, &tm);
    printf("%s", tag); tm_line("localtime_r", t, p);
    errno = 0; p = localtime(&tt);
    int local_errno = errno;
    printf("%s", tag); tm_line("localtime", t, p);
    errno = 0; char *c = ctime_r(&tt, buf);
    if (c) printf("%sctime_r(%lld): %s", tag, t, c); else printf("%sctime_r(%lld): NULL errno=%d\n", tag, t, errno);
    errno = 0; c = ctime(&tt);
    if (c) printf("%sctime(%lld): %s", tag, t, c); else printf("%sctime(%lld): NULL errno=%d\n", tag, t, errno);
    if (p) {
        /* mktime's answer may leave the 32-bit range near its edges. */
        tag = fits32(t - 200000) && fits32(t + 200000) ? "" : "beyond: ";
        struct tm m = *p;
        m.tm_isdst = -1;
        m.tm_min += 90;
        errno = 0;
        time_t back = mktime(&m);
        printf("%smktime(+90 min of %lld): %lld", tag, t, (long long)back);
        if (back != -1)
            tm_line(" ->", t, &m);
        else
            printf(" errno=%d\n", errno);
    } else {
        printf("beyond: mktime(+90 min of %lld): localtime NULL errno=%d\n", t, local_errno);
    }
}

int main(void) {
    static const long long times[] = {
        0, -1, 1, 1000000000, 1700000000, INT32_MAX, (long long)INT32_MAX + 1, INT32_MIN,
        (long long)INT32_MIN - 1, 4102444800LL /* 2100 */, 4107542400LL /* 2100-03-01 */,
        951782400LL /* 2000-02-29 */, 253402300799LL /* 9999-12-31 23:59:59 */,
        -62135596800LL /* 0001-01-01 */, -62135596801LL, 67768036191676799LL /* year INT_MAX */,
        67768036191676800LL, -67768040609740800LL /* year INT_MIN + 1900 */, -67768040609740801LL,
        INT64_MAX, INT64_MIN, 1230768023LL /* around a leap second */, 78796799LL, 78796800LL,
    };
    static const char *zones[] = {"UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe",
                                  "right/UTC", "right/Europe/London"};
    for (unsigned z = 0; z < sizeof zones / sizeof *zones; z++) {
        setenv("TZ", zones[z], 1);
        tzset();
        printf("== TZ=%s tzname=%s/%s timezone=%ld daylight=%d\n", zones[z], tzname[0], tzname[1], timezone,
               daylight);
        for (unsigned i = 0; i < sizeof times / sizeof *times; i++)
            one(times[i]);
        /* Pseudo-random times, most inside the range, some far outside. */
        unsigned long long x = 88172645463325252ULL;
        for (int i = 0; i < 60; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            long long t = (long long)(x % 20000000000ULL) - 8000000000LL;
            if (i % 3 == 0)
                t = (long long)(x % 4294967296ULL) - 2147483648LL;
            one(t);
        }
    }

    struct timespec ts;
    int r;
    clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_PROCESS_CPUTIME_ID, 12345};
    for (unsigned i = 0; i < 4; i++) {
        memset(&ts, 0x55, sizeof ts);
        errno = 0; r = clock_getres(clocks[i], &ts);
        printf("clock_getres(%d): r=%d errno=%d", (int)clocks[i], r, r ? errno : 0);
        if (!r)
            printf(" res=%lld.%09ld", (long long)ts.tv_sec, ts.tv_nsec);
        printf("\n");
    }
    errno = 0; r = clock_getres(CLOCK_MONOTONIC, NULL); printf("clock_getres(NULL): r=%d\n", r);
    /* Only calls that fail: this test must never set the clock. */
    struct timespec badns = {1700000000, 1000000000};
    errno = 0; r = clock_settime(CLOCK_REALTIME, &badns); printf("clock_settime bad nsec: r=%d errno=%d\n", r, errno);
    struct timespec negns = {1700000000, -1};
    errno = 0; r = clock_settime(CLOCK_REALTIME, &negns); printf("clock_settime negative nsec: r=%d errno=%d\n", r, errno);
    struct timespec ok = {1700000000, 0};
    errno = 0; r = clock_settime(CLOCK_MONOTONIC, &ok); printf("clock_settime monotonic: r=%d errno=%d\n", r, errno);
    errno = 0; r = clock_settime(12345, &ok); printf("clock_settime bad clock: r=%d errno=%d\n", r, errno);
    struct timeval tv = {1700000000, 0};
    struct timezone tz = {0, 0};
    errno = 0; r = settimeofday(&tv, &tz); printf("settimeofday tv and tz: r=%d errno=%d\n", r, errno);
    struct timeval badtv = {1700000000, 2000000};
    errno = 0; r = settimeofday(&badtv, NULL); printf("settimeofday bad usec: r=%d errno=%d\n", r, errno);

    /* POSIX timers: a signal timer whose signal is blocked, never delivered. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &set, NULL);
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN;
    timer_t timer;
    errno = 0; r = timer_create(CLOCK_MONOTONIC, &ev, &timer); printf("timer_create: r=%d errno=%d\n", r, errno);
    struct itimerspec its = {{1, 500000000}, {100, 0}}, old, cur;
    errno = 0; r = timer_settime(timer, 0, &its, NULL); printf("timer_settime: r=%d errno=%d\n", r, errno);
    errno = 0; r = timer_gettime(timer, &cur);
    printf("timer_gettime: r=%d interval=%lld.%09ld value in (90,100]=%d\n", r, (long long)cur.it_interval.tv_sec,
           cur.it_interval.tv_nsec, cur.it_value.tv_sec >= 90 && (cur.it_value.tv_sec < 100 || cur.it_value.tv_nsec == 0));
    struct itimerspec its2 = {{0, 0}, {50, 0}};
    errno = 0; r = timer_settime(timer, 0, &its2, &old);
    printf("timer_settime old: r=%d interval=%lld.%09ld value in (90,100]=%d\n", r, (long long)old.it_interval.tv_sec,
           old.it_interval.tv_nsec, old.it_value.tv_sec >= 90 && (old.it_value.tv_sec < 100 || old.it_value.tv_nsec == 0));
    struct itimerspec badits = {{0, 0}, {1, 1000000000}};
    errno = 0; r = timer_settime(timer, 0, &badits, NULL); printf("timer_settime bad nsec: r=%d errno=%d\n", r, errno);
    struct itimerspec far = {{0, 0}, {4102444800LL, 0}};
    errno = 0; r = timer_settime(timer, TIMER_ABSTIME, &far, NULL);
    printf("beyond: timer_settime 2100 absolute: r=%d errno=%d\n", r, r ? errno : 0);
    errno = 0; r = timer_gettime(timer, &cur);
    printf("timer_gettime after: r=%d interval=%lld.%09ld\n", r, (long long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
    errno = 0; r = timer_delete(timer); printf("timer_delete: r=%d errno=%d\n", r, errno);

    char name[17] = {0};
    errno = 0; r = prctl(PR_SET_NAME, "sbs-calendar", 0, 0, 0); printf("prctl set name: r=%d\n", r);
    errno = 0; r = prctl(PR_GET_NAME, name, 0, 0, 0); printf("prctl get name: r=%d name=%s\n", r, name);
    errno = 0; r = prctl(-1, 0, 0, 0, 0); printf("prctl bad: r=%d errno=%d\n", r, errno);
    return 0;
}
