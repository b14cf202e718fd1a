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
#define WRAP(name) __elfcompat_wrap_##name

#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_EMPTY_PATH 0x1000
#define O_PATH 010000000
#define O_CLOEXEC_ 02000000
/* <asm/fcntl.h>: arm's and powerpc's O_NOFOLLOW are not the generic one. */
#if defined(__arm__) || defined(__powerpc64__)
#define O_NOFOLLOW_ 0100000
#else
#define O_NOFOLLOW_ 0400000
#endif
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
#elif defined(__aarch64__)
#define NR_openat 56
#define NR_close 57
#define NR_newfstatat 79
#define NR_fchmodat 53
#define NR_statfs 43
#define NR_fstatfs 44
#define STAT_MODE_OFFSET 16
#else
/* The kernel's numbers from <asm/unistd.h> (common.h). The 32-bit architectures take
 * fstatat64 (struct stat64) and statfs64 (with the size of struct statfs64: 84 on i386,
 * 88 on armhf, as glibc passes); st_mode's offset in the kernel's struct (glibc's struct
 * stat64 on 32-bit, struct stat on 64-bit, which are the kernel's). */
#define NR_openat __NR_openat
#define NR_close __NR_close
#define NR_fchmodat __NR_fchmodat
#if defined(__i386__) || defined(__arm__)
#define NR_newfstatat __NR_fstatat64
#define NR_statfs __NR_statfs64
#define NR_fstatfs __NR_fstatfs64
#define STAT_MODE_OFFSET 16
#if defined(__i386__)
#define STATFS64_SIZE 84
#else
#define STATFS64_SIZE 88
#endif
#else
#define NR_newfstatat __NR_newfstatat
#define NR_statfs __NR_statfs
#define NR_fstatfs __NR_fstatfs
#if defined(__riscv)
#define STAT_MODE_OFFSET 16
#else /* powerpc64, s390x */
#define STAT_MODE_OFFSET 24
#endif
#endif
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

/* f_type is the unsigned int after f_namemax (2.39's first word of the older __f_spare):
 * at offset 88 in struct statvfs on every 64-bit architecture here; on the 32-bit ones at 48
 * in struct statvfs (after __f_unused) and 72 in struct statvfs64. struct statfs starts
 * with f_type (a long, but an unsigned int on s390x and in 32-bit struct statfs64). */
#if defined(__i386__) || defined(__arm__)
#define STATVFS_F_TYPE 48
#define STATVFS64_F_TYPE 72

static void fill_f_type(long nr, long what, void *buf, unsigned long at) {
    unsigned int sfs[32];
    if (sys6(nr, what, STATFS64_SIZE, (long)sfs, 0, 0, 0) == 0)
        *(unsigned int *)((char *)buf + at) = sfs[0];
}
#else
#define STATVFS_F_TYPE 88
#define STATVFS64_F_TYPE 88

static void fill_f_type(long nr, long what, void *buf, unsigned long at) {
#if defined(__s390x__)
    unsigned int sfs[32];
#else
    long sfs[16];
#endif
    if (sys6(nr, what, (long)sfs, 0, 0, 0, 0) == 0)
        *(unsigned int *)((char *)buf + at) = (unsigned int)sfs[0];
}
#endif

extern int statvfs(const char *, void *);
extern int statvfs64(const char *, void *);
extern int fstatvfs(int, void *);
extern int fstatvfs64(int, void *);

EXPORT int WRAP(statvfs)(const char *path, void *buf) {
    int r = statvfs(path, buf);
    if (r == 0)
        fill_f_type(NR_statfs, (long)path, buf, STATVFS_F_TYPE);
    return r;
}

EXPORT int WRAP(statvfs64)(const char *path, void *buf) {
    int r = statvfs64(path, buf);
    if (r == 0)
        fill_f_type(NR_statfs, (long)path, buf, STATVFS64_F_TYPE);
    return r;
}

EXPORT int WRAP(fstatvfs)(int fd, void *buf) {
    int r = fstatvfs(fd, buf);
    if (r == 0)
        fill_f_type(NR_fstatfs, fd, buf, STATVFS_F_TYPE);
    return r;
}

EXPORT int WRAP(fstatvfs64)(int fd, void *buf) {
    int r = fstatvfs64(fd, buf);
    if (r == 0)
        fill_f_type(NR_fstatfs, fd, buf, STATVFS64_F_TYPE);
    return r;
}
