/* pidfd_getpid (glibc 2.39) side by side with glibc's own (tests/polyfill_tail.rs): a
 * negative descriptor, a closed one, descriptors that are not pidfds (stdin, a file), the
 * pidfd of this process, of a running child and of the same child once reaped. Pids are
 * printed as "this process" / "the child", so runs compare line for line. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* glibc 2.39 declares it in <sys/pidfd.h>; the host's headers are 2.36's. */
extern pid_t pidfd_getpid(int fd);

static void show(const char *what, pid_t r, pid_t self, pid_t child) {
    if (r < 0)
        printf("%s: -1 errno %s\n", what, strerror(errno));
    else
        printf("%s: %s\n", what, r == self ? "this process" : r == child ? "the child" : "another pid");
    errno = 0;
}

int main(void) {
    pid_t self = getpid();
    show("pidfd_getpid(-1)", pidfd_getpid(-1), self, 0);
    show("pidfd_getpid(closed 900)", pidfd_getpid(900), self, 0);
    show("pidfd_getpid(stdin)", pidfd_getpid(0), self, 0);
    int file = open("/proc/self/exe", O_RDONLY);
    show("pidfd_getpid(a file)", pidfd_getpid(file), self, 0);
    int me = (int)syscall(SYS_pidfd_open, self, 0);
    if (me < 0) {
        printf("pidfd_open: -1 errno %s\n", strerror(errno));
        return 0;
    }
    show("pidfd_getpid(own pidfd)", pidfd_getpid(me), self, 0);
    pid_t child = fork();
    if (child == 0) {
        pause();
        _exit(0);
    }
    int pfd = (int)syscall(SYS_pidfd_open, child, 0);
    show("pidfd_getpid(child's pidfd)", pidfd_getpid(pfd), self, child);
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    show("pidfd_getpid(reaped child's pidfd)", pidfd_getpid(pfd), self, child);
    errno = 1234;
    pid_t again = pidfd_getpid(me);
    printf("errno kept on success: %d (%s)\n", errno, again == self ? "this process" : "?");
    return 0;
}
