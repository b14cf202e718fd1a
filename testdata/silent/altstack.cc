// The common C++ use of SIGSTKSZ: an alternate signal stack allocated with new[]
// (crash handlers, test frameworks). With glibc 2.34+ headers and an older sysconf,
// new char[-1] throws std::bad_alloc before main does anything.
#include <signal.h>
#include <stdio.h>
#include <string.h>

static char *stack_lo, *stack_hi;
static volatile sig_atomic_t on_alt = -1;

static void handler(int) {
    char here;
    on_alt = &here >= stack_lo && &here < stack_hi;
}

int main() {
    char *stack = new char[SIGSTKSZ];
    stack_lo = stack;
    stack_hi = stack + SIGSTKSZ;
    stack_t ss;
    ss.ss_sp = stack;
    ss.ss_size = SIGSTKSZ;
    ss.ss_flags = 0;
    if (sigaltstack(&ss, nullptr) != 0) {
        perror("sigaltstack");
        return 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, nullptr);
    raise(SIGUSR1);
    printf("alternate stack of %ld bytes; the handler %s\n", (long)SIGSTKSZ,
           on_alt == 1 ? "ran on it" : "did not run on it");
    delete[] stack;
    return on_alt == 1 ? 0 : 1;
}
