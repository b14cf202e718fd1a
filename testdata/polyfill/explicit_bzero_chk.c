/* __explicit_bzero_chk (glibc 2.25): what explicit_bzero becomes under _FORTIFY_SOURCE
 * when the compiler knows the buffer's size. Called directly (declared here, as the
 * fortified header's call is), side by side with glibc's own: lengths within the buffer
 * clear exactly those bytes; a length beyond it ends in __chk_fail (SIGABRT), run in a
 * child. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern void __explicit_bzero_chk(void *, size_t, size_t);

static char buf[32];

static void show(const char *what) {
    printf("%s:", what);
    for (size_t i = 0; i < sizeof buf; i++)
        putchar(buf[i] ? buf[i] : '.');
    putchar('\n');
}

int main(void) {
    static const size_t lengths[] = {0, 1, 7, 16, 31, 32};
    for (size_t i = 0; i < sizeof lengths / sizeof *lengths; i++) {
        memset(buf, 'x', sizeof buf);
        __explicit_bzero_chk(buf + 0, lengths[i], sizeof buf);
        char what[32];
        snprintf(what, sizeof what, "len %zu", lengths[i]);
        show(what);
    }
    memset(buf, 'y', sizeof buf);
    __explicit_bzero_chk(buf + 8, 8, sizeof buf - 8);
    show("middle 8 of 24");
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        __explicit_bzero_chk(buf, 33, sizeof buf);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("overflow: signaled=%d sig=%d\n", WIFSIGNALED(st), WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return 0;
}
