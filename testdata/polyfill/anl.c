/* libanl's asynchronous lookups (getaddrinfo_a, gai_error, gai_suspend, gai_cancel),
   which glibc 2.34 moved into libc: tests/polyfill_anl.rs builds this against glibc 2.36
   (the GLIBC_2.34 versions in libc.so.6), lowers it to 2.17 (the old versions, in
   libanl.so.1) and compares the output on 2.36 and on 2.31.  Every lookup is answered
   without the network: numeric hosts with AI_NUMERICHOST, "localhost" from /etc/hosts
   (AF_INET only, so the answer does not depend on the machine's IPv6 setup), numeric
   services.  Whatever depends on timing (whether a request is still running when it is
   waited for or cancelled) is printed only as "consistent" or not. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *eai(int e)
{
    switch (e) {
    case 0: return "0";
    case EAI_NONAME: return "EAI_NONAME";
    case EAI_SERVICE: return "EAI_SERVICE";
    case EAI_FAMILY: return "EAI_FAMILY";
    case EAI_ADDRFAMILY: return "EAI_ADDRFAMILY";
    case EAI_AGAIN: return "EAI_AGAIN";
    case EAI_INPROGRESS: return "EAI_INPROGRESS";
    case EAI_CANCELED: return "EAI_CANCELED";
    case EAI_NOTCANCELED: return "EAI_NOTCANCELED";
    case EAI_ALLDONE: return "EAI_ALLDONE";
    case EAI_SYSTEM: return "EAI_SYSTEM";
    default: return "other";
    }
}

struct job {
    const char *host, *service;
    int family, flags;
    struct addrinfo hints;
    struct gaicb cb;
};

static void setup(struct job *j, int n, struct gaicb **list)
{
    for (int i = 0; i < n; i++) {
        memset(&j[i].hints, 0, sizeof j[i].hints);
        j[i].hints.ai_family = j[i].family;
        j[i].hints.ai_socktype = SOCK_STREAM;
        j[i].hints.ai_flags = j[i].flags;
        memset(&j[i].cb, 0, sizeof j[i].cb);
        j[i].cb.ar_name = j[i].host;
        j[i].cb.ar_service = j[i].service;
        j[i].cb.ar_request = &j[i].hints;
        list[i] = &j[i].cb;
    }
}

static void show(const char *what, struct job *j, int n)
{
    for (int i = 0; i < n; i++) {
        int e = gai_error(&j[i].cb);
        printf("%s %s:%s -> %s", what, j[i].host, j[i].service, eai(e));
        if (e == 0) {
            for (struct addrinfo *a = j[i].cb.ar_result; a; a = a->ai_next) {
                char buf[INET6_ADDRSTRLEN];
                int port;
                if (a->ai_family == AF_INET) {
                    struct sockaddr_in *s = (struct sockaddr_in *)a->ai_addr;
                    inet_ntop(AF_INET, &s->sin_addr, buf, sizeof buf);
                    port = ntohs(s->sin_port);
                } else {
                    struct sockaddr_in6 *s = (struct sockaddr_in6 *)a->ai_addr;
                    inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof buf);
                    port = ntohs(s->sin6_port);
                }
                printf(" [%s %s port %d socktype %d protocol %d]",
                       a->ai_family == AF_INET ? "inet" : "inet6", buf, port,
                       a->ai_socktype, a->ai_protocol);
            }
            freeaddrinfo(j[i].cb.ar_result);
            j[i].cb.ar_result = NULL;
        }
        printf("\n");
    }
}

/* The jobs every mode runs: good numeric hosts, localhost, bad ones. */
#define JOBS                                                                             \
    {                                                                                   \
        {.host = "127.0.0.1", .service = "80", .family = AF_UNSPEC,                     \
         .flags = AI_NUMERICHOST | AI_NUMERICSERV},                                     \
        {.host = "::1", .service = "443", .family = AF_UNSPEC,                          \
         .flags = AI_NUMERICHOST | AI_NUMERICSERV},                                     \
        {.host = "10.1.2.3", .service = "8080", .family = AF_INET,                      \
         .flags = AI_NUMERICHOST},                                                      \
        {.host = "localhost", .service = "22", .family = AF_INET,                       \
         .flags = AI_NUMERICSERV},                                                      \
        {.host = "300.1.2.3", .service = "80", .family = AF_UNSPEC,                     \
         .flags = AI_NUMERICHOST},                                                      \
        {.host = "fe80::1::2", .service = "53", .family = AF_INET6,                     \
         .flags = AI_NUMERICHOST},                                                      \
        {.host = "127.0.0.1", .service = "0", .family = AF_INET6,                       \
         .flags = AI_NUMERICHOST},                                                      \
    }
#define NJOBS 7

/* Wait with gai_suspend until no request of the list is in progress.  One request at a
   time, the others NULL: glibc's gai_suspend (2.31 and 2.36 alike) leaves its on-stack
   wait entry on a request whose result is already set but whose helper thread has not
   yet taken the lock to notify, and that helper then writes through the dead entry.  With
   one request the only wake-up is that request's own notification. */
static int wait_all(struct gaicb **list, int n, const struct timespec *timeout)
{
    struct gaicb *one[NJOBS];
    for (int round = 0; round < 1000; round++) {
        int busy = -1;
        for (int i = 0; i < n; i++) {
            one[i] = NULL;
            if (busy < 0 && gai_error(list[i]) == EAI_INPROGRESS)
                busy = i;
        }
        if (busy < 0)
            return 1;
        one[busy] = list[busy];
        int r = gai_suspend((const struct gaicb *const *)one, n, timeout);
        if (r != 0 && r != EAI_ALLDONE && r != EAI_AGAIN && r != EAI_INTR) {
            printf("gai_suspend: unexpected %s\n", eai(r));
            return 0;
        }
    }
    printf("gai_suspend: requests never finished\n");
    return 0;
}

static sem_t notified;
static int notified_value;

static void notify(union sigval v)
{
    notified_value = v.sival_int;
    sem_post(&notified);
}

int main(void)
{
    struct gaicb *list[NJOBS];

    /* GAI_WAIT: returns once all are done; its result is EAI_SYSTEM-free here. */
    struct job w[NJOBS] = JOBS;
    setup(w, NJOBS, list);
    int r = getaddrinfo_a(GAI_WAIT, list, NJOBS, NULL);
    printf("GAI_WAIT returned %s\n", r == 0 || r == EAI_SYSTEM ? "0 or EAI_SYSTEM" : eai(r));
    show("wait", w, NJOBS);

    /* GAI_NOWAIT without notification, then gai_suspend without a timeout. */
    struct job s[NJOBS] = JOBS;
    setup(s, NJOBS, list);
    struct sigevent none;
    memset(&none, 0, sizeof none);
    none.sigev_notify = SIGEV_NONE;
    printf("GAI_NOWAIT returned %s\n", eai(getaddrinfo_a(GAI_NOWAIT, list, NJOBS, &none)));
    if (wait_all(list, NJOBS, NULL))
        show("suspend", s, NJOBS);
    /* Every request is done: a suspend returns at once, a cancel finds nothing to cancel. */
    printf("gai_suspend on finished requests: %s\n",
           eai(gai_suspend((const struct gaicb *const *)list, NJOBS, NULL)));
    /* A request's result is set before its helper thread takes the lock and unlinks it:
       until then gai_cancel answers EAI_NOTCANCELED (it is "running"), after it
       EAI_ALLDONE.  Ask again until the helper is done, for at most ten seconds. */
    int cancel = gai_cancel(list[0]);
    for (int k = 0; k < 10000 && cancel == EAI_NOTCANCELED; k++) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        cancel = gai_cancel(list[0]);
    }
    printf("gai_cancel of a finished request: %s\n", eai(cancel));

    /* GAI_NOWAIT (NULL sigevent: no notification), gai_suspend with a timeout. */
    struct job t[NJOBS] = JOBS;
    setup(t, NJOBS, list);
    printf("GAI_NOWAIT returned %s\n", eai(getaddrinfo_a(GAI_NOWAIT, list, NJOBS, NULL)));
    struct timespec ten = {10, 0};
    if (wait_all(list, NJOBS, &ten))
        show("timed", t, NJOBS);
    struct timespec zero = {0, 0};
    struct gaicb *nothing[2] = {NULL, NULL};
    printf("gai_suspend on a list of NULLs: %s\n",
           eai(gai_suspend((const struct gaicb *const *)nothing, 2, &zero)));

    /* GAI_NOWAIT with a SIGEV_THREAD notification once the whole list is done. */
    struct job n[NJOBS] = JOBS;
    setup(n, NJOBS, list);
    sem_init(&notified, 0, 0);
    struct sigevent th;
    memset(&th, 0, sizeof th);
    th.sigev_notify = SIGEV_THREAD;
    th.sigev_notify_function = notify;
    th.sigev_value.sival_int = 4242;
    printf("GAI_NOWAIT returned %s\n", eai(getaddrinfo_a(GAI_NOWAIT, list, NJOBS, &th)));
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 30;
    while (sem_timedwait(&notified, &deadline) != 0 && errno == EINTR)
        ;
    printf("notified with %d\n", notified_value);
    show("thread", n, NJOBS);

    /* gai_cancel of requests that may or may not have started: a request still queued
       is cancelled (and glibc leaves its gai_error at EAI_INPROGRESS: it only unlinks
       it), one already running is not, and runs to its end. */
    struct job c[NJOBS] = JOBS;
    setup(c, NJOBS, list);
    printf("GAI_NOWAIT returned %s\n", eai(getaddrinfo_a(GAI_NOWAIT, list, NJOBS, NULL)));
    int consistent = 1;
    int cancelled[NJOBS];
    struct gaicb *left[NJOBS];
    int nleft = 0;
    for (int i = NJOBS - 1; i >= 0; i--) {
        int cr = gai_cancel(list[i]);
        cancelled[i] = cr == EAI_CANCELED;
        if (cr != EAI_CANCELED && cr != EAI_NOTCANCELED && cr != EAI_ALLDONE)
            consistent = 0;
        if (!cancelled[i])
            left[nleft++] = list[i];
    }
    if (!wait_all(left, nleft, NULL))
        consistent = 0;
    for (int i = 0; i < NJOBS; i++) {
        int e = gai_error(list[i]);
        if (cancelled[i] ? e != EAI_INPROGRESS : e == EAI_INPROGRESS)
            consistent = 0;
        if (e == 0)
            freeaddrinfo(list[i]->ar_result);
    }
    printf("gai_cancel: %s\n", consistent ? "consistent" : "INCONSISTENT");
    return 0;
}
