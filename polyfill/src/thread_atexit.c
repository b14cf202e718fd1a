/* glibc 2.18's __cxa_thread_atexit_impl: the destructors of C++ thread_local objects (and
 * anything else registered through libstdc++'s __cxa_thread_atexit). libstdc++ calls it for
 * every thread_local object with a destructor, right after constructing it; a program linked
 * with -static-libstdc++ imports it from libc.
 *
 * glibc keeps a per-thread list, newest first, and runs it (stdlib/cxa_thread_atexit_impl.c,
 * __call_tls_dtors) when a thread exits and, for the thread that calls exit(), from exit()
 * before the atexit handlers. A destructor may register further destructors; they run too.
 *
 * Here the list hangs off a pthread key, whose destructor runs the list when a thread exits,
 * and one __cxa_atexit handler, registered at the first registration of the process, runs
 * the list of the thread that calls exit(). What differs from glibc (docs/polyfills.md):
 * - at thread exit the list runs among the other pthread key destructors (in key order)
 *   instead of before all of them;
 * - at exit() it runs as one atexit handler: before the handlers registered before the first
 *   thread_local destructor (C++ objects of static duration constructed earlier, as glibc),
 *   but after any registered later (glibc: before all of them);
 * - glibc keeps a library with pending destructors loaded through dlclose by a count on its
 *   link map (the DSO argument); here each registration takes a reference on the library
 *   with dlopen(RTLD_NOLOAD) of the file dladdr names for the DSO argument, dropped with
 *   dlclose once the destructor has run. So dlclose does not unload it either; after the
 *   last pending destructor the library is unloaded at once, where glibc unloads it at the
 *   next dlclose of any library. A library that cannot be reopened by that name (deleted
 *   or renamed since it was loaded) is not kept loaded. */
#include "common.h"

extern int pthread_key_create(unsigned int *, void (*)(void *));
extern void *pthread_getspecific(unsigned int);
extern int pthread_setspecific(unsigned int, const void *);
extern int pthread_once(int *, void (*)(void));
extern int __cxa_atexit(void (*)(void *), void *, void *);
extern void *malloc(size_t);
extern void free(void *);
extern void abort(void);
typedef struct {
    const char *dli_fname;
    void *dli_fbase;
    const char *dli_sname;
    void *dli_saddr;
} dl_info;
extern int dladdr(const void *, dl_info *);
extern void *dlopen(const char *, int);
extern int dlclose(void *);
#define RTLD_LAZY 1
#define RTLD_NOLOAD 4

struct dtor {
    void (*func)(void *);
    void *obj;
    void *pin; /* dlopen handle that keeps the registering library loaded, or 0 */
    struct dtor *next;
};

static unsigned int key;
static int once;

/* Run the calling thread's list, newest first, including what the destructors add. */
static void run_list(void) {
    struct dtor *d;
    while ((d = pthread_getspecific(key)) != 0) {
        pthread_setspecific(key, d->next);
        d->func(d->obj);
        if (d->pin)
            dlclose(d->pin);
        free(d);
    }
}

/* The key's destructor: the thread library cleared the value before calling. */
static void at_thread_exit(void *head) {
    pthread_setspecific(key, head);
    run_list();
}

static void at_exit(void *unused) {
    (void)unused;
    run_list();
}

static void init(void) {
    if (pthread_key_create(&key, at_thread_exit) != 0 || __cxa_atexit(at_exit, 0, 0) != 0)
        abort();
}

EXPORT int PF(__cxa_thread_atexit_impl)(void (*func)(void *), void *obj, void *dso) {
    pthread_once(&once, init);
    struct dtor *d = malloc(sizeof *d);
    /* glibc: a fatal error ("failed to register TLS destructor: out of memory"). */
    if (!d)
        abort();
    d->func = func;
    d->obj = obj;
    d->pin = 0;
    dl_info info;
    if (dso && dladdr(dso, &info) && info.dli_fname && info.dli_fname[0])
        d->pin = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
    d->next = pthread_getspecific(key);
    if (pthread_setspecific(key, d) != 0)
        abort();
    return 0;
}
