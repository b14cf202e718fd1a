/* A shared library with its own constructor and destructor, loaded through DT_NEEDED
   by shlib_main.c. It uses pthread_* and dl* (GLIBC_2.34 when linked today) itself, so
   patching it moves symbols to libpthread.so.0 / libdl.so.2 as well. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static int lib_ctor_runs;
static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((constructor)) static void lib_ctor(void) {
    lib_ctor_runs++;
    printf("libruntime constructor\n");
}

__attribute__((destructor)) static void lib_dtor(void) {
    printf("libruntime destructor (ctor runs %d)\n", lib_ctor_runs);
    fflush(stdout);
}

static void *square(void *arg) {
    long v = (long)arg;
    return (void *)(v * v);
}

int lib_ctor_count(void) {
    return lib_ctor_runs;
}

long lib_compute(long v) {
    pthread_t t;
    void *ret = 0;
    pthread_mutex_lock(&lib_lock);
    if (pthread_create(&t, 0, square, (void *)v) != 0) {
        pthread_mutex_unlock(&lib_lock);
        return -1;
    }
    pthread_join(t, &ret);
    pthread_mutex_unlock(&lib_lock);
    return (long)ret;
}

const char *lib_find(const char *sym) {
    return dlsym(RTLD_DEFAULT, sym) ? "found" : "missing";
}
