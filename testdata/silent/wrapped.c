/* Every wrapped silent change in one program, for the architectures whose code elfcompat's
 * scanner does not read (tests/silent_cross.rs): built against glibc 2.36's headers, it
 * needs the wrappers of sysconf (SIGSTKSZ, 2.34) and fchmodat/lchmod (2.32) below 2.32, of
 * open/openat with O_TMPFILE below 2.22, and (linked to need 2.39) of statvfs below 2.39.
 * argv[1] is an empty directory to work in. Built with and without _FILE_OFFSET_BITS=64
 * (and _TIME_BITS=64) on 32-bit architectures, where that selects open64, openat64 and
 * statvfs64. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

extern int pidfd_getpid(int) __attribute__((weak));

static const char *name(int e) {
    switch (e) {
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EINVAL: return "EINVAL";
    case ENOENT: return "ENOENT";
    case ENOSYS: return "ENOSYS";
    case ENOMEM: return "ENOMEM";
    default: return "other";
    }
}

static volatile sig_atomic_t on_altstack = -1;
static char *altstack_base;
static size_t altstack_size;

static void handler(int sig) {
    char here;
    (void)sig;
    on_altstack = &here >= altstack_base && &here < altstack_base + altstack_size;
}

static void sigstksz(void) {
    long size = SIGSTKSZ, min = MINSIGSTKSZ;
    printf("SIGSTKSZ %ld MINSIGSTKSZ %ld\n", size, min);
    printf("sysconf(_SC_MINSIGSTKSZ) %ld\n", sysconf(_SC_MINSIGSTKSZ));
    printf("page size %s\n", sysconf(_SC_PAGESIZE) > 0 ? "known" : "unknown");
    errno = 0;
    long unknown = sysconf(100000);
    printf("unknown name %ld %s\n", unknown, name(errno));
    /* What SIGSTKSZ is for: a signal stack. */
    altstack_size = (size_t)size;
    altstack_base = malloc(altstack_size);
    if (!altstack_base) {
        printf("signal stack: malloc(%ld) failed\n", size);
        return;
    }
    stack_t ss = {.ss_sp = altstack_base, .ss_size = altstack_size, .ss_flags = 0};
    if (sigaltstack(&ss, NULL)) {
        printf("signal stack: sigaltstack %s\n", name(errno));
        return;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("signal stack: handler ran %s\n", on_altstack == 1 ? "on it" : "elsewhere");
}

/* The mode of PATH (or of FD with ""), by statx (glibc 2.28): no stat function that a
 * lowering to 2.31 must polyfill, so that the program patched with --polyfill=none runs
 * there too, without the wrappers. */
static unsigned mode_of(int fd, const char *path) {
    struct statx stx;
    int flags = *path ? AT_SYMLINK_NOFOLLOW : AT_EMPTY_PATH;
    if (statx(fd, path, flags, STATX_MODE, &stx))
        return 010000;
    return stx.stx_mode & 07777;
}

static void report(const char *what, int r, const char *path) {
    int e = errno;
    printf("%-36s %2d %-12s mode %04o\n", what, r, r ? name(e) : "-", mode_of(AT_FDCWD, path));
}

static void chmod_nofollow(void) {
    int fd = open("file", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    close(fd);
    symlink("file", "link");
    errno = 0;
    report("fchmodat(file, 0600, NOFOLLOW)", fchmodat(AT_FDCWD, "file", 0600, AT_SYMLINK_NOFOLLOW), "file");
    report("fchmodat(link, 0600, NOFOLLOW)", fchmodat(AT_FDCWD, "link", 0600, AT_SYMLINK_NOFOLLOW), "file");
    report("fchmodat(file, 0640, 0)", fchmodat(AT_FDCWD, "file", 0640, 0), "file");
    report("fchmodat(file, 0600, 0x200)", fchmodat(AT_FDCWD, "file", 0600, 0x200), "file");
    report("fchmodat(missing, 0600, NOFOLLOW)", fchmodat(AT_FDCWD, "missing", 0600, AT_SYMLINK_NOFOLLOW), "file");
    report("lchmod(file, 0604)", lchmod("file", 0604), "file");
    report("lchmod(link, 0600)", lchmod("link", 0600), "file");
}

static void show(const char *how, int fd) {
    if (fd < 0) {
        printf("%s: %s\n", how, name(errno));
        return;
    }
    printf("%s: mode %04o\n", how, mode_of(fd, ""));
    close(fd);
}

static void tmpfile_opens(void) {
    umask(022);
    show("openat O_TMPFILE 0640", openat(AT_FDCWD, ".", O_TMPFILE | O_RDWR, 0640));
    show("open O_TMPFILE 0600", open(".", O_TMPFILE | O_WRONLY, 0600));
    show("openat O_RDONLY", openat(AT_FDCWD, ".", O_RDONLY | O_DIRECTORY));
    show("open O_CREAT 0604", open("created", O_CREAT | O_RDWR, 0604));
}

/* f_type is 2.39's first word of the older __f_spare (what these headers have). */
static void statvfs_type(void) {
    struct statvfs v;
    struct statfs f;
    memset(&v, 0xff, sizeof v);
    if (statvfs(".", &v) || statfs(".", &f)) {
        printf("statvfs: %s\n", name(errno));
        return;
    }
    unsigned int f_type;
    memcpy(&f_type, (char *)&v + offsetof(struct statvfs, __f_spare), sizeof f_type);
    printf("statvfs f_type %s statfs f_type\n", f_type == (unsigned int)f.f_type ? "==" : "!=");
    memset(&v, 0xff, sizeof v);
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    if (fstatvfs(fd, &v)) {
        printf("fstatvfs: %s\n", name(errno));
        return;
    }
    close(fd);
    memcpy(&f_type, (char *)&v + offsetof(struct statvfs, __f_spare), sizeof f_type);
    printf("fstatvfs f_type %s statfs f_type\n", f_type == (unsigned int)f.f_type ? "==" : "!=");
}

int main(int argc, char **argv) {
    if (argc > 2 && pidfd_getpid)
        return pidfd_getpid(-1);
    if (argc < 2 || chdir(argv[1]))
        return 2;
    sigstksz();
    chmod_nofollow();
    tmpfile_opens();
    statvfs_type();
    return 0;
}
