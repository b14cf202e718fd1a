/* The program tests/atomic_write.rs patches while killing elfcompat at many points.
 * Built at test time with the host's gcc (glibc 2.36): pthread_create@GLIBC_2.34 and
 * __libc_start_main@GLIBC_2.34, so patching it to 2.31 moves pthread_* to libpthread.so.0,
 * adds a DT_NEEDED and a startup shim: a rewrite that grows the file. */
#include <pthread.h>
#include <stdio.h>

static int constructed;

__attribute__((constructor)) static void init(void) { constructed = 1; }

static void *work(void *arg) { return (void *)((long)arg * 2); }

int main(void) {
    pthread_t t;
    void *r = 0;
    if (pthread_create(&t, 0, work, (void *)21) != 0)
        return 3;
    pthread_join(t, &r);
    printf("atomic_prog: result %ld, constructor ran: %d\n", (long)r, constructed);
    return 0;
}
