/* 32-bit targets: glibc 2.34's calendar, clock-setting and timer functions for programs built
 * with _TIME_BITS=64 (Debian 12 builds date, ls, du, stat, touch, tar, find, diff, timeout
 * that way on i386 and armhf). Their time_t is 64 bits wide; the older glibc's functions of
 * the same meaning take a 32-bit time_t.
 *
 * - A time that fits 32 bits is handed to the older glibc's own function (localtime_r,
 *   gmtime_r, mktime, timegm, ctime_r, ...): the result is glibc's, time zones, leap-second
 *   ("right/") zones and normalisation included.
 * - gmtime, timegm and difftime are exact arithmetic beyond that range too (the Gregorian
 *   calendar; a "right/" zone's leap-second correction is the one the older glibc applies at
 *   the edge of its range, since no leap second is scheduled past 2038).
 * - localtime, ctime and mktime of a local time outside the 32-bit range fail with EOVERFLOW,
 *   as the target's own 32-bit functions do: the rules of a time zone past 2038 live in the
 *   zone file's footer, which only glibc's private time-zone code reads. glibc 2.34 and later
 *   answer them (the plan says so).
 * - The timer functions go through the older librt's timer_settime/timer_gettime, since a
 *   timer_t made by the older timer_create is that release's (a pointer to its own structure,
 *   not the kernel's timer id that glibc 2.34 encodes); an interval or time that does not fit
 *   32 bits is EOVERFLOW there, as in the older release.
 * - clock_getres, clock_settime and settimeofday ask the *_time64 system calls first, then the
 *   time32 ones, as glibc 2.34 does. */
#include "common.h"

#if __SIZEOF_LONG__ == 4

#define EOVERFLOW 75

struct tm_ {
    int tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year, tm_wday, tm_yday, tm_isdst;
    long tm_gmtoff;
    const char *tm_zone;
};
struct ts64_ {
    long long tv_sec;
    int tv_nsec;
    int pad;
};
struct ts32_ {
    long tv_sec, tv_nsec;
};
struct its64_ {
    struct ts64_ it_interval, it_value;
};
struct its32_ {
    struct ts32_ it_interval, it_value;
};
struct tv64_ {
    long long tv_sec, tv_usec;
};

extern struct tm_ *localtime_r(const long *t, struct tm_ *tp);
extern struct tm_ *localtime(const long *t);
extern struct tm_ *gmtime_r(const long *t, struct tm_ *tp);
extern struct tm_ *gmtime(const long *t);
extern long mktime(struct tm_ *tp);
extern long timegm(struct tm_ *tp);
extern char *ctime(const long *t);
extern char *ctime_r(const long *t, char *buf);
extern int timer_settime(void *timerid, int flags, const struct its32_ *value, struct its32_ *old);
extern int timer_gettime(void *timerid, struct its32_ *value);

#define MIN32 (-2147483647LL - 1)
#define MAX32 2147483647LL

static int fits32(long long t) { return t >= MIN32 && t <= MAX32; }

static void *overflow(void) {
    ERRNO = EOVERFLOW;
    return 0;
}

/* Floor division and modulo by a positive divisor, for negative times too. 64-bit division
 * is a libgcc helper (__divdi3, __divmoddi4) on 32-bit targets, which no glibc exports: this
 * is the long division, bit by bit, in operations the compilers do inline. */
static unsigned long long udiv(unsigned long long n, unsigned long d, unsigned long *rem) {
    unsigned long long q = 0, r = 0;
    for (int i = 63; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) {
            r -= d;
            q |= 1ULL << i;
        }
    }
    *rem = (unsigned long)r;
    return q;
}
static long long fdiv(long long a, long b) {
    unsigned long r;
    if (a >= 0)
        return (long long)udiv((unsigned long long)a, (unsigned long)b, &r);
    long long q = -(long long)udiv(-(unsigned long long)a, (unsigned long)b, &r);
    return q - (r != 0);
}
static long long fmod_(long long a, long b) { return a - fdiv(a, b) * b; }

/* Days from 1970-01-01 to the first day of month m (0-11) of year y, proleptic Gregorian. */
static long long days_from_civil(long long y, int m) {
    static const short before[12] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
    long long y1 = y - 1;
    long long leaps = fdiv(y1, 4) - fdiv(y1, 100) + fdiv(y1, 400) - (492 - 19 + 4);
    int leap = (fmod_(y, 4) == 0 && (fmod_(y, 100) != 0 || fmod_(y, 400) == 0));
    return (y - 1970) * 365 + leaps + before[m] + (m > 1 && leap);
}

/* UTC broken-down time of t by the Gregorian calendar; 0 (EOVERFLOW) when the year does not
 * fit an int, as glibc's __offtime. tm_isdst, tm_gmtoff and tm_zone are left alone. */
static int civil(long long t, struct tm_ *tp) {
    long long days = fdiv(t, 86400), rem = fmod_(t, 86400);
    /* Howard Hinnant's days-to-civil, on 400-year eras from 0000-03-01. */
    long long z = days + 719468;
    long long era = fdiv(z, 146097);
    long long doe = z - era * 146097;
    long de = (long)doe; /* 0 .. 146096: 32-bit arithmetic from here */
    long yoe = (de - de / 1460 + de / 36524 - de / 146096) / 365;
    long long y = yoe + era * 400;
    long doy = de - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    if (m <= 2)
        y++;
    if (!fits32(y - 1900)) {
        overflow();
        return 0;
    }
    tp->tm_year = (int)(y - 1900);
    tp->tm_mon = m - 1;
    tp->tm_mday = d;
    tp->tm_yday = (int)(days - days_from_civil(y, 0));
    tp->tm_wday = (int)fmod_(days + 4, 7); /* 1970-01-01 was a Thursday */
    long sod = (long)rem; /* 0 .. 86399 */
    tp->tm_hour = (int)(sod / 3600);
    tp->tm_min = (int)(sod % 3600 / 60);
    tp->tm_sec = (int)(sod % 60);
    return 1;
}

/* The seconds since the epoch of tp's fields read as UTC, every field normalised as mktime
 * does (months into years first), in 64-bit arithmetic. */
static long long utc_seconds(const struct tm_ *tp) {
    long long mon = tp->tm_mon, year = (long long)tp->tm_year + 1900 + fdiv(mon, 12);
    mon = fmod_(mon, 12);
    long long days = days_from_civil(year, (int)mon) + tp->tm_mday - 1;
    return days * 86400 + (long long)tp->tm_hour * 3600 + (long long)tp->tm_min * 60 + tp->tm_sec;
}

/* The leap-second correction the older gmtime applies at the edge of its range, in the zone
 * in force ("right/" zones count leap seconds; others give 0): what the calendar alone gets
 * wrong there, which no later leap second changes. */
static long long leap_correction(long long t) {
    long edge = t > 0 ? (long)MAX32 : (long)MIN32;
    struct tm_ tm;
    if (!gmtime_r(&edge, &tm))
        return 0;
    return edge - utc_seconds(&tm);
}

static struct tm_ *gmtime64_into(const long long *t, struct tm_ *tp) {
    if (fits32(*t)) {
        long t32 = (long)*t;
        return gmtime_r(&t32, tp);
    }
    long zero = 0;
    struct tm_ utc;
    if (!gmtime_r(&zero, &utc)) /* the zone name glibc gives UTC ("GMT") */
        return 0;
    if (!civil(*t - leap_correction(*t), tp))
        return 0;
    tp->tm_isdst = 0;
    tp->tm_gmtoff = 0;
    tp->tm_zone = utc.tm_zone;
    return tp;
}

EXPORT struct tm_ *PF(__gmtime64_r)(const long long *t, struct tm_ *tp) { return gmtime64_into(t, tp); }

/* gmtime and localtime share one static struct tm in glibc: gmtime's own answer is its address. */
EXPORT struct tm_ *PF(__gmtime64)(const long long *t) {
    if (fits32(*t)) {
        long t32 = (long)*t;
        return gmtime(&t32);
    }
    struct tm_ tmp;
    if (!gmtime64_into(t, &tmp))
        return 0;
    long zero = 0;
    struct tm_ *shared = gmtime(&zero);
    if (shared)
        *shared = tmp;
    return shared;
}

EXPORT struct tm_ *PF(__localtime64_r)(const long long *t, struct tm_ *tp) {
    if (!fits32(*t))
        return overflow();
    long t32 = (long)*t;
    return localtime_r(&t32, tp);
}

EXPORT struct tm_ *PF(__localtime64)(const long long *t) {
    if (!fits32(*t))
        return overflow();
    long t32 = (long)*t;
    return localtime(&t32);
}

EXPORT char *PF(__ctime64)(const long long *t) {
    if (!fits32(*t))
        return overflow();
    long t32 = (long)*t;
    return ctime(&t32);
}

EXPORT char *PF(__ctime64_r)(const long long *t, char *buf) {
    if (!fits32(*t))
        return overflow();
    long t32 = (long)*t;
    return ctime_r(&t32, buf);
}

/* The older mktime fails with EOVERFLOW (and leaves *tp alone) when the answer does not fit. */
EXPORT long long PF(__mktime64)(struct tm_ *tp) { return mktime(tp); }

EXPORT long long PF(__timegm64)(struct tm_ *tp) {
    long long secs = utc_seconds(tp);
    /* Well inside the range (a leap-second correction is at most a minute): glibc's own. */
    if (secs > MIN32 + 3600 && secs < MAX32 - 3600)
        return timegm(tp);
    secs += leap_correction(secs);
    struct tm_ out;
    if (!gmtime64_into(&secs, &out))
        return -1;
    *tp = out;
    return secs;
}

#if !defined(__i386__)
/* The conversion, rounded once (both parts are exact doubles; the sum rounds), without
 * libgcc's __aeabi_ul2d. */
static double u64_to_double(unsigned long long v) {
    return (double)(unsigned long)(v >> 32) * 4294967296.0 + (double)(unsigned long)v;
}
#endif

/* glibc's: on i386 the difference of the two times as long doubles (64-bit significands hold
 * them exactly); where long double is double, the exact difference as an unsigned integer,
 * converted once and negated if need be. */
EXPORT double PF(__difftime64)(long long t1, long long t0) {
#if defined(__i386__)
    return (long double)t1 - (long double)t0;
#else
    if (t1 < t0)
        return -u64_to_double((unsigned long long)t0 - (unsigned long long)t1);
    return u64_to_double((unsigned long long)t1 - (unsigned long long)t0);
#endif
}

static long ts_syscall(long n64, long n32, int clock, struct ts64_ *ts, int set) {
    long r = sys6(n64, clock, (long)ts, 0, 0, 0, 0);
    if (r != -ENOSYS)
        return r;
    struct ts32_ t32;
    if (set) {
        if (!fits32(ts->tv_sec))
            return -EOVERFLOW;
        t32.tv_sec = (long)ts->tv_sec;
        t32.tv_nsec = ts->tv_nsec;
        return sys6(n32, clock, (long)&t32, 0, 0, 0, 0);
    }
    r = sys6(n32, clock, ts ? (long)&t32 : 0, 0, 0, 0, 0);
    if (r == 0 && ts) {
        ts->tv_sec = t32.tv_sec;
        ts->tv_nsec = (int)t32.tv_nsec;
        ts->pad = 0;
    }
    return r;
}

EXPORT int PF(__clock_getres64)(int clock, struct ts64_ *res) {
    return (int)sysret(ts_syscall(__NR_clock_getres_time64, __NR_clock_getres, clock, res, 0));
}

/* glibc checks the nanoseconds itself (the kernel would read the padding as their top half). */
EXPORT int PF(__clock_settime64)(int clock, const struct ts64_ *tp) {
    if (tp->tv_nsec < 0 || tp->tv_nsec >= 1000000000) {
        ERRNO = EINVAL;
        return -1;
    }
    struct ts64_ t = {tp->tv_sec, tp->tv_nsec, 0};
    return (int)sysret(ts_syscall(__NR_clock_settime64, __NR_clock_settime, clock, &t, 1));
}

/* glibc 2.31 and later: a time zone alone goes to the kernel; with a time too it is EINVAL. */
EXPORT int PF(__settimeofday64)(const struct tv64_ *tv, const void *tz) {
    if (tz) {
        if (tv) {
            ERRNO = EINVAL;
            return -1;
        }
        return (int)SYSCALL(__NR_settimeofday, 0, tz, 0, 0, 0, 0);
    }
    struct ts64_ ts = {tv->tv_sec, (int)(tv->tv_usec * 1000), 0};
    return PF(__clock_settime64)(0 /* CLOCK_REALTIME */, &ts);
}

static int narrow(const struct ts64_ *in, struct ts32_ *out) {
    if (!fits32(in->tv_sec))
        return 0;
    out->tv_sec = (long)in->tv_sec;
    out->tv_nsec = in->tv_nsec;
    return 1;
}

static void widen(const struct ts32_ *in, struct ts64_ *out) {
    out->tv_sec = in->tv_sec;
    out->tv_nsec = (int)in->tv_nsec;
    out->pad = 0;
}

EXPORT int PF(__timer_settime64)(void *timerid, int flags, const struct its64_ *value, struct its64_ *old) {
    struct its32_ v, o;
    if (!narrow(&value->it_interval, &v.it_interval) || !narrow(&value->it_value, &v.it_value)) {
        ERRNO = EOVERFLOW;
        return -1;
    }
    int r = timer_settime(timerid, flags, &v, old ? &o : 0);
    if (r == 0 && old) {
        widen(&o.it_interval, &old->it_interval);
        widen(&o.it_value, &old->it_value);
    }
    return r;
}

EXPORT int PF(__timer_gettime64)(void *timerid, struct its64_ *value) {
    struct its32_ v;
    int r = timer_gettime(timerid, &v);
    if (r == 0) {
        widen(&v.it_interval, &value->it_interval);
        widen(&v.it_value, &value->it_value);
    }
    return r;
}

#endif
