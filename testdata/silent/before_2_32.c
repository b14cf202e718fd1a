/* A stand-in for an older glibc where none runs (riscv64: Debian's first is 2.41), preloaded
 * (LD_PRELOAD) by tests/silent_cross.rs: sysconf and __sysconf refuse _SC_MINSIGSTKSZ and
 * _SC_SIGSTKSZ with EINVAL as before 2.34, fchmodat refuses AT_SYMLINK_NOFOLLOW with
 * ENOTSUP and lchmod is a stub (ENOSYS) as before 2.32, and statvfs and fstatvfs leave
 * f_type zeroed as before 2.39. Everything else goes to the real functions. Unversioned
 * definitions in a preloaded object take the program's and the wrappers' versioned
 * references too. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

static void *next(const char *name) {
    return dlsym(RTLD_NEXT, name);
}

long __sysconf(int name) {
    if (name == _SC_MINSIGSTKSZ || name == _SC_SIGSTKSZ) {
        errno = EINVAL;
        return -1;
    }
    long (*real)(int) = (long (*)(int))next("__sysconf");
    return real(name);
}

long sysconf(int name) {
    return __sysconf(name);
}

int fchmodat(int fd, const char *path, mode_t mode, int flag) {
    if (flag & AT_SYMLINK_NOFOLLOW) {
        errno = ENOTSUP;
        return -1;
    }
    int (*real)(int, const char *, mode_t, int) =
        (int (*)(int, const char *, mode_t, int))next("fchmodat");
    return real(fd, path, mode, flag);
}

int lchmod(const char *path, mode_t mode) {
    (void)path;
    (void)mode;
    errno = ENOSYS;
    return -1;
}

static void clear_f_type(struct statvfs *v) {
    memset((char *)v + offsetof(struct statvfs, __f_spare), 0, sizeof(int));
}

int statvfs(const char *path, struct statvfs *v) {
    int (*real)(const char *, struct statvfs *) =
        (int (*)(const char *, struct statvfs *))next("statvfs");
    int r = real(path, v);
    if (r == 0)
        clear_f_type(v);
    return r;
}

int fstatvfs(int fd, struct statvfs *v) {
    int (*real)(int, struct statvfs *) = (int (*)(int, struct statvfs *))next("fstatvfs");
    int r = real(fd, v);
    if (r == 0)
        clear_f_type(v);
    return r;
}
