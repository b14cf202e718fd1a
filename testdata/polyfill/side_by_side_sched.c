/* sched_getattr and sched_setattr (glibc 2.41) side by side: built against trixie's
 * libc.so.6 (the host's 2.36 lacks them) by tests/polyfill_hard.rs. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct attr { /* struct sched_attr, as <linux/sched/types.h> (SCHED_ATTR_SIZE_VER0 = 48) */
    unsigned int size, policy;
    unsigned long long flags;
    int nice;
    unsigned int priority;
    unsigned long long runtime, deadline, period;
};
extern int sched_getattr(pid_t, struct attr *, unsigned int, unsigned int);
extern int sched_setattr(pid_t, struct attr *, unsigned int);

int main(void) {
    struct attr a;
    int r;
    memset(&a, 0, sizeof a);
    errno = 0;
    r = sched_getattr(0, &a, sizeof a, 0);
    printf("getattr self: %d errno=%d size=%u policy=%u nice=%d\n", r, errno, a.size, a.policy, a.nice);
    errno = 0;
    r = sched_getattr(0, &a, 8, 0);
    printf("getattr small size: %d errno=%d\n", r, errno);
    errno = 0;
    r = sched_getattr(0, &a, sizeof a, 1);
    printf("getattr bad flags: %d errno=%d\n", r, errno);
    errno = 0;
    r = sched_getattr(-1, &a, sizeof a, 0);
    printf("getattr bad pid: %d errno=%d\n", r, errno);
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.nice = 1;
    errno = 0;
    r = sched_setattr(0, &a, 0);
    printf("setattr nice 1: %d errno=%d nice now %d\n", r, errno, nice(0));
    errno = 0;
    r = sched_setattr(0, &a, 1);
    printf("setattr bad flags: %d errno=%d\n", r, errno);
    a.policy = 12345;
    errno = 0;
    r = sched_setattr(0, &a, 0);
    printf("setattr bad policy: %d errno=%d\n", r, errno);
    return 0;
}
