/* probe: a STATIC program (no loader, no libraries) that reports what a chroot shows.
     probe sys           /proc/self/exe, /dev/null, /dev/urandom, /tmp, cwd, environment
     probe ls DIR...     the sorted entries of each DIR ("DIR: missing" when absent)
     probe exists PATH...  "PATH: yes" or "PATH: no" for each
     probe sleep SECONDS   prints "sleeping" and sleeps (for deadline tests)
   Exit code 0, or 2 on a usage error. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sys(void) {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    printf("exe: %s\n", n < 0 ? "(unreadable)" : (buf[n] = 0, buf));
    int fd = open("/dev/null", O_WRONLY);
    printf("dev/null: %s\n", fd >= 0 && write(fd, "x", 1) == 1 ? "writable" : "NO");
    if (fd >= 0) close(fd);
    unsigned char r[16];
    fd = open("/dev/urandom", O_RDONLY);
    printf("dev/urandom: %s\n", fd >= 0 && read(fd, r, sizeof r) == (ssize_t)sizeof r ? "readable" : "NO");
    if (fd >= 0) close(fd);
    snprintf(buf, sizeof buf, "/tmp/probe-%d", (int)getpid());
    fd = open(buf, O_WRONLY | O_CREAT | O_EXCL, 0600);
    printf("tmp: %s\n", fd >= 0 ? "writable" : "NO");
    if (fd >= 0) { close(fd); unlink(buf); }
    fd = open("/probe-root-write-test", O_WRONLY | O_CREAT | O_EXCL, 0600);
    printf("root: %s\n", fd >= 0 ? "WRITABLE" : "read-only");
    if (fd >= 0) { close(fd); unlink("/probe-root-write-test"); }
    printf("cwd: %s\n", getcwd(buf, sizeof buf) ? buf : "?");
    extern char **environ;
    int count = 0;
    for (char **e = environ; *e; e++) count++;
    char **env = calloc(count + 1, sizeof *env);
    for (int i = 0; i < count; i++) env[i] = environ[i];
    qsort(env, count, sizeof *env, cmp);
    for (int i = 0; i < count; i++) printf("env: %s\n", env[i]);
}

static void ls(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) { printf("%s: missing\n", dir); return; }
    char **names = NULL;
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);
    printf("%s:", dir);
    for (int i = 0; i < n; i++) printf(" %s", names[i]);
    printf("\n");
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "sys")) { sys(); return 0; }
    if (argc >= 2 && !strcmp(argv[1], "ls")) { for (int i = 2; i < argc; i++) ls(argv[i]); return 0; }
    if (argc >= 2 && !strcmp(argv[1], "exists")) {
        struct stat st;
        for (int i = 2; i < argc; i++) printf("%s: %s\n", argv[i], lstat(argv[i], &st) == 0 ? "yes" : "no");
        return 0;
    }
    if (argc == 3 && !strcmp(argv[1], "sleep")) {
        puts("sleeping");
        fflush(stdout);
        sleep((unsigned)atoi(argv[2]));
        return 0;
    }
    fprintf(stderr, "usage: probe sys | ls DIR... | exists PATH... | sleep SECONDS\n");
    return 2;
}
