/* A library that needs nothing newer than glibc 2.2.5 from its symbol versions, built
 * against glibc 2.34+ headers: only its code shows that it calls sysconf (_SC_SIGSTKSZ). */
#define _GNU_SOURCE
#include <signal.h>
#include <unistd.h>

long signal_stack_size(void) { return SIGSTKSZ; }
