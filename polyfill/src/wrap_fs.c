/* File-system functions whose behaviour a newer glibc extended without a new version.
 *
 * fchmodat with AT_SYMLINK_NOFOLLOW, and lchmod, glibc 2.32: before, fchmodat failed with
 * ENOTSUP for every file when the flag was set, and lchmod was a stub (ENOSYS). 2.32 opens
 * an O_PATH descriptor without following a final symbolic link, refuses a link itself
 * (EOPNOTSUPP: a link's mode cannot be changed), and changes the mode through
 * /proc/self/fd (EOPNOTSUPP where /proc is not mounted). The wrappers do the same with
 * system calls; fchmodat without the flag goes to the real function.
 *
 * statvfs, fstatvfs (and the 64 forms), glibc 2.39: struct statvfs gained f_type (the
 * file system's magic number, where older releases leave spare bytes zeroed). The
 * wrappers call the real function, then fill f_type from statfs, as 2.39 does. */
#include "common.h"
/* Not on 32-bit targets: system-call numbers and struct stat/statvfs offsets are the
 * 64-bit ones below; not ported yet. */
#if __SIZEOF_LONG__ == 8

#define WRAP(name) __elfcompat_wrap_##name

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EMPTY_PATH 0x1000
#define O_PATH 010000000
#define O_NOFOLLOW_ 0400000
#define O_CLOEXEC_ 02000000
#define ENOENT 2
#define EOPNOTSUPP_ 95
#define S_IFMT 0170000
#define S_IFLNK 0120000

#if defined(__x86_64__)
#define NR_openat 257
#define NR_close 3
#define NR_newfstatat 262
#define NR_fchmodat 268
#define NR_statfs 137
#define NR_fstatfs 138
#define STAT_MODE_OFFSET 24
#else
#define NR_openat 56
#define NR_close 57
#define NR_newfstatat 79
#define NR_fchmodat 53
#define NR_statfs 43
#define NR_fstatfs 44
#define STAT_MODE_OFFSET 16
#endif

extern int fchmodat(int, const char *, mode_t, int);

static int chmod_nofollow(int dirfd, const char *path, mode_t mode) {
    long fd = sys6(NR_openat, dirfd, (long)path, O_PATH | O_NOFOLLOW_ | O_CLOEXEC_, 0, 0, 0);
    if (fd < 0)
        return (int)sysret(fd);
    unsigned char st[256];
    long r = sys6(NR_newfstatat, fd, (long)"", (long)st, AT_EMPTY_PATH, 0, 0);
    if (r < 0) {
        sys6(NR_close, fd, 0, 0, 0, 0, 0);
        return (int)sysret(r);
    }
    unsigned int st_mode = *(unsigned int *)(st + STAT_MODE_OFFSET);
    if ((st_mode & S_IFMT) == S_IFLNK) {
        sys6(NR_close, fd, 0, 0, 0, 0, 0);
        ERRNO = EOPNOTSUPP_;
        return -1;
    }
    char name[32] = "/proc/self/fd/";
    char digits[12];
    int n = 0;
    unsigned long v = (unsigned long)fd;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    int at = 14;
    while (n)
        name[at++] = digits[--n];
    name[at] = '\0';
    r = sys6(NR_fchmodat, AT_FDCWD, (long)name, mode, 0, 0, 0);
    sys6(NR_close, fd, 0, 0, 0, 0, 0);
    if (r < 0) {
        ERRNO = r == -ENOENT ? EOPNOTSUPP_ : (int)-r;
        return -1;
    }
    return 0;
}

EXPORT int WRAP(fchmodat)(int dirfd, const char *path, mode_t mode, int flag) {
    if (flag == 0)
        return fchmodat(dirfd, path, mode, 0);
    if (flag != AT_SYMLINK_NOFOLLOW) {
        ERRNO = EINVAL;
        return -1;
    }
    return chmod_nofollow(dirfd, path, mode);
}

EXPORT int WRAP(lchmod)(const char *path, mode_t mode) {
    return chmod_nofollow(AT_FDCWD, path, mode);
}

/* struct statvfs is the same on both 64-bit architectures: f_type is the unsigned int
 * after f_namemax, at offset 88. struct statfs starts with f_type (a long). */
#define STATVFS_F_TYPE 88

static void fill_f_type(long nr, long what, void *buf) {
    long sfs[16];
    if (sys6(nr, what, (long)sfs, 0, 0, 0, 0) == 0)
        *(unsigned int *)((char *)buf + STATVFS_F_TYPE) = (unsigned int)sfs[0];
}

extern int statvfs(const char *, void *);
extern int statvfs64(const char *, void *);
extern int fstatvfs(int, void *);
extern int fstatvfs64(int, void *);

EXPORT int WRAP(statvfs)(const char *path, void *buf) {
    int r = statvfs(path, buf);
    if (r == 0)
        fill_f_type(NR_statfs, (long)path, buf);
    return r;
}

EXPORT int WRAP(statvfs64)(const char *path, void *buf) {
    int r = statvfs64(path, buf);
    if (r == 0)
        fill_f_type(NR_statfs, (long)path, buf);
    return r;
}

EXPORT int WRAP(fstatvfs)(int fd, void *buf) {
    int r = fstatvfs(fd, buf);
    if (r == 0)
        fill_f_type(NR_fstatfs, fd, buf);
    return r;
}

EXPORT int WRAP(fstatvfs64)(int fd, void *buf) {
    int r = fstatvfs64(fd, buf);
    if (r == 0)
        fill_f_type(NR_fstatfs, fd, buf);
    return r;
}
#endif
