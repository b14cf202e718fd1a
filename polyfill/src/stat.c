/* glibc 2.33 made stat, fstat, lstat, fstatat, mknod, mknodat (and the 64 forms) exported
 * functions. Before, <sys/stat.h> inlined them as calls to __xstat(_STAT_VER, ...) and
 * friends, which every release still exports: the polyfills make exactly those calls, so
 * the behaviour is the old glibc's own (same system calls, same struct layout). */
#include "common.h"

struct stat;
extern int __xstat(int, const char *, struct stat *);
extern int __lxstat(int, const char *, struct stat *);
extern int __fxstat(int, int, struct stat *);
extern int __fxstatat(int, int, const char *, struct stat *, int);
extern int __xstat64(int, const char *, struct stat *);
extern int __lxstat64(int, const char *, struct stat *);
extern int __fxstat64(int, int, struct stat *);
extern int __fxstatat64(int, int, const char *, struct stat *, int);
extern int __xmknod(int, const char *, mode_t, dev_t *);
extern int __xmknodat(int, int, const char *, mode_t, dev_t *);

EXPORT int PF(stat)(const char *p, struct stat *b) { return __xstat(STAT_VER, p, b); }
EXPORT int PF(lstat)(const char *p, struct stat *b) { return __lxstat(STAT_VER, p, b); }
EXPORT int PF(fstat)(int fd, struct stat *b) { return __fxstat(STAT_VER, fd, b); }
EXPORT int PF(fstatat)(int d, const char *p, struct stat *b, int f) { return __fxstatat(STAT_VER, d, p, b, f); }
EXPORT int PF(stat64)(const char *p, struct stat *b) { return __xstat64(STAT_VER, p, b); }
EXPORT int PF(lstat64)(const char *p, struct stat *b) { return __lxstat64(STAT_VER, p, b); }
EXPORT int PF(fstat64)(int fd, struct stat *b) { return __fxstat64(STAT_VER, fd, b); }
EXPORT int PF(fstatat64)(int d, const char *p, struct stat *b, int f) { return __fxstatat64(STAT_VER, d, p, b, f); }
EXPORT int PF(mknod)(const char *p, mode_t m, dev_t dev) { return __xmknod(MKNOD_VER, p, m, &dev); }
EXPORT int PF(mknodat)(int d, const char *p, mode_t m, dev_t dev) { return __xmknodat(MKNOD_VER, d, p, m, &dev); }

#if __SIZEOF_LONG__ == 4
/* 32-bit targets: glibc 2.34's stat family for _TIME_BITS=64 (__stat64_time64 and its
 * siblings; Debian 12 builds coreutils, grep, tar... that way), whose struct stat has 64-bit
 * times. glibc asks statx first and converts its answer (sysdeps/unix/sysv/linux/
 * fstatat64.c, statx_cp.c); so do these. On a kernel without statx (before 4.11) they ask the
 * old release's __fxstatat64 and widen its 32-bit times, as glibc falls back to fstatat64. The
 * structures are declared with the C types glibc's have, so the compiler gives them the
 * architecture's layout (i386 aligns 64-bit fields to 4 bytes, arm to 8). */
struct timespec32_ {
    long tv_sec, tv_nsec;
};
struct stat64_ { /* struct stat64 of the old __fxstatat64 */
    unsigned long long st_dev;
    unsigned int pad1;
    unsigned long st_ino32;
    unsigned int st_mode, st_nlink, st_uid, st_gid;
    unsigned long long st_rdev;
    unsigned int pad2;
    long long st_size;
    long st_blksize;
    long long st_blocks;
    struct timespec32_ st_atim, st_mtim, st_ctim;
    unsigned long long st_ino;
};
struct timespec64_ {
    long long tv_sec;
    int tv_nsec;
    int pad;
};
struct stat_t64 { /* struct __stat64_t64 */
    unsigned long long st_dev, st_ino;
    unsigned int st_mode, st_nlink, st_uid, st_gid;
    unsigned long long st_rdev;
    long long st_size;
    int st_blksize;
    long long st_blocks;
    struct timespec64_ st_atim, st_mtim, st_ctim;
};
struct statx_timestamp_ {
    long long tv_sec;
    unsigned int tv_nsec;
    int reserved;
};
struct statx_ {
    unsigned int stx_mask, stx_blksize;
    unsigned long long stx_attributes;
    unsigned int stx_nlink, stx_uid, stx_gid;
    unsigned short stx_mode, spare0;
    unsigned long long stx_ino, stx_size, stx_blocks, stx_attributes_mask;
    struct statx_timestamp_ stx_atime, stx_btime, stx_ctime, stx_mtime;
    unsigned int stx_rdev_major, stx_rdev_minor, stx_dev_major, stx_dev_minor;
    unsigned long long spare[14];
};
_Static_assert(sizeof(struct statx_) == 256, "struct statx");
#if defined(__i386__)
_Static_assert(sizeof(struct stat64_) == 96 && sizeof(struct stat_t64) == 108, "i386 stat layouts");
#else
_Static_assert(sizeof(struct stat64_) == 104 && sizeof(struct stat_t64) == 112, "arm stat layouts");
#endif

#define AT_FDCWD_ (-100)
#define AT_SYMLINK_NOFOLLOW_ 0x100
#define AT_NO_AUTOMOUNT_ 0x800
#define AT_EMPTY_PATH_ 0x1000
#define STATX_BASIC_STATS_ 0x7ff
#define EBADF_ 9

/* glibc's dev_t encoding (gnu_dev_makedev). */
static unsigned long long makedev_(unsigned int major, unsigned int minor) {
    return ((unsigned long long)(major & 0xfffff000u) << 32) | ((unsigned long long)(major & 0xfffu) << 8) |
           ((unsigned long long)(minor & 0xffffff00u) << 12) | (minor & 0xffu);
}

static void zero(void *p, size_t n) {
    volatile unsigned char *q = p;
    while (n--)
        *q++ = 0;
}

static int fstatat_t64(int dirfd, const char *path, struct stat_t64 *buf, int flags) {
    struct statx_ x;
    long r = sys6(__NR_statx, dirfd, (long)path, AT_NO_AUTOMOUNT_ | flags, STATX_BASIC_STATS_, (long)&x, 0);
    if (r == 0) {
        zero(buf, sizeof *buf);
        buf->st_dev = makedev_(x.stx_dev_major, x.stx_dev_minor);
        buf->st_ino = x.stx_ino;
        buf->st_mode = x.stx_mode;
        buf->st_nlink = x.stx_nlink;
        buf->st_uid = x.stx_uid;
        buf->st_gid = x.stx_gid;
        buf->st_rdev = makedev_(x.stx_rdev_major, x.stx_rdev_minor);
        buf->st_size = (long long)x.stx_size;
        buf->st_blksize = (int)x.stx_blksize;
        buf->st_blocks = (long long)x.stx_blocks;
        buf->st_atim.tv_sec = x.stx_atime.tv_sec;
        buf->st_atim.tv_nsec = (int)x.stx_atime.tv_nsec;
        buf->st_mtim.tv_sec = x.stx_mtime.tv_sec;
        buf->st_mtim.tv_nsec = (int)x.stx_mtime.tv_nsec;
        buf->st_ctim.tv_sec = x.stx_ctime.tv_sec;
        buf->st_ctim.tv_nsec = (int)x.stx_ctime.tv_nsec;
        return 0;
    }
    if (r != -ENOSYS)
        return (int)sysret(r);
    struct stat64_ s;
    int rc = __fxstatat64(STAT_VER, dirfd, path, (struct stat *)&s, flags);
    if (rc != 0)
        return rc;
    zero(buf, sizeof *buf);
    buf->st_dev = s.st_dev;
    buf->st_ino = s.st_ino;
    buf->st_mode = s.st_mode;
    buf->st_nlink = s.st_nlink;
    buf->st_uid = s.st_uid;
    buf->st_gid = s.st_gid;
    buf->st_rdev = s.st_rdev;
    buf->st_size = s.st_size;
    buf->st_blksize = (int)s.st_blksize;
    buf->st_blocks = s.st_blocks;
    buf->st_atim.tv_sec = s.st_atim.tv_sec;
    buf->st_atim.tv_nsec = (int)s.st_atim.tv_nsec;
    buf->st_mtim.tv_sec = s.st_mtim.tv_sec;
    buf->st_mtim.tv_nsec = (int)s.st_mtim.tv_nsec;
    buf->st_ctim.tv_sec = s.st_ctim.tv_sec;
    buf->st_ctim.tv_nsec = (int)s.st_ctim.tv_nsec;
    return 0;
}

EXPORT int PF(__fstatat64_time64)(int d, const char *p, struct stat_t64 *b, int f) { return fstatat_t64(d, p, b, f); }
EXPORT int PF(__stat64_time64)(const char *p, struct stat_t64 *b) { return fstatat_t64(AT_FDCWD_, p, b, 0); }
EXPORT int PF(__lstat64_time64)(const char *p, struct stat_t64 *b) {
    return fstatat_t64(AT_FDCWD_, p, b, AT_SYMLINK_NOFOLLOW_);
}
EXPORT int PF(__fstat64_time64)(int fd, struct stat_t64 *b) {
    if (fd < 0) {
        ERRNO = EBADF_;
        return -1;
    }
    return fstatat_t64(fd, "", b, AT_EMPTY_PATH_);
}

/* glibc 2.34's __utimensat64 and __futimens64 (misc/utimensat.c, __utimensat64_helper):
 * the utimensat_time64 system call with the caller's times (struct __timespec64 is the
 * kernel's __kernel_timespec on these little-endian targets); on a kernel without it (before
 * 5.1) the time32 utimensat, with EOVERFLOW for a time it cannot carry. */
static int utimensat_t64(int fd, const char *path, const struct timespec64_ *t, int flags) {
    long r = sys6(__NR_utimensat_time64, fd, (long)path, (long)t, flags, 0, 0);
    if (r != -ENOSYS)
        return (int)sysret(r);
    struct timespec32_ t32[2];
    if (t) {
        for (int i = 0; i < 2; i++) {
            if (t[i].tv_sec != (long)t[i].tv_sec) {
                ERRNO = 75; /* EOVERFLOW */
                return -1;
            }
            t32[i].tv_sec = (long)t[i].tv_sec;
            t32[i].tv_nsec = t[i].tv_nsec;
        }
    }
    return (int)SYSCALL(__NR_utimensat, fd, path, t ? t32 : 0, flags, 0, 0);
}
EXPORT int PF(__utimensat64)(int fd, const char *path, const struct timespec64_ *t, int flags) {
    if (!path) {
        ERRNO = EINVAL;
        return -1;
    }
    return utimensat_t64(fd, path, t, flags);
}
EXPORT int PF(__futimens64)(int fd, const struct timespec64_ *t) { return utimensat_t64(fd, 0, t, 0); }

/* glob for _TIME_BITS=64 (__glob64_time64): its glob64_t is the older glob64's, but the
 * GLOB_ALTDIRFUNC callbacks gl_stat and gl_lstat fill a struct __stat64_t64. Without that
 * flag this is the older glob64 itself; with it, the older glob64 is handed adapters that
 * call the program's callbacks and narrow their answer into its struct stat64 (glob reads the
 * file type from it). The program's callbacks are kept for the duration of the call: another
 * thread's glob with GLOB_ALTDIRFUNC waits for it, and a callback's own glob nests. */
struct glob64_ {
    size_t gl_pathc;
    char **gl_pathv;
    size_t gl_offs;
    int gl_flags;
    void (*gl_closedir)(void *);
    void *(*gl_readdir)(void *);
    void *(*gl_opendir)(const char *);
    int (*gl_lstat)(const char *, void *);
    int (*gl_stat)(const char *, void *);
};
extern int glob64(const char *pattern, int flags, int (*errfunc)(const char *, int), struct glob64_ *pglob);
extern void globfree64(struct glob64_ *pglob);

static int (*glob_user_stat)(const char *, void *);
static int (*glob_user_lstat)(const char *, void *);
static int glob_owner; /* the thread id holding the two above, 0 when free */

static int glob_narrowed(int (*f)(const char *, void *), const char *path, struct stat64_ *old) {
    struct stat_t64 s;
    int r = f(path, &s);
    if (r != 0)
        return r;
    zero(old, sizeof *old);
    old->st_dev = s.st_dev;
    old->st_ino32 = (unsigned long)s.st_ino;
    old->st_ino = s.st_ino;
    old->st_mode = s.st_mode;
    old->st_nlink = s.st_nlink;
    old->st_uid = s.st_uid;
    old->st_gid = s.st_gid;
    old->st_rdev = s.st_rdev;
    old->st_size = s.st_size;
    old->st_blksize = s.st_blksize;
    old->st_blocks = s.st_blocks;
    old->st_atim.tv_sec = (long)s.st_atim.tv_sec;
    old->st_atim.tv_nsec = s.st_atim.tv_nsec;
    old->st_mtim.tv_sec = (long)s.st_mtim.tv_sec;
    old->st_mtim.tv_nsec = s.st_mtim.tv_nsec;
    old->st_ctim.tv_sec = (long)s.st_ctim.tv_sec;
    old->st_ctim.tv_nsec = s.st_ctim.tv_nsec;
    return 0;
}
static int glob_stat(const char *path, void *old) { return glob_narrowed(glob_user_stat, path, old); }
/* Handed on only when the program gave a gl_lstat (the older glob64 at GLIBC_2.2 never calls
 * it; GLIBC_2.27's calls it as glibc 2.34's does). */
static int glob_lstat(const char *path, void *old) { return glob_narrowed(glob_user_lstat, path, old); }

#define GLOB_ALTDIRFUNC_ (1 << 9)

EXPORT int PF(__glob64_time64)(const char *pattern, int flags, int (*errfunc)(const char *, int), struct glob64_ *pglob) {
    if (!(flags & GLOB_ALTDIRFUNC_))
        return glob64(pattern, flags, errfunc, pglob);
    int self = (int)sys6(__NR_gettid, 0, 0, 0, 0, 0, 0);
    int nested = __atomic_load_n(&glob_owner, __ATOMIC_ACQUIRE) == self;
    int (*saved_stat)(const char *, void *) = glob_user_stat, (*saved_lstat)(const char *, void *) = glob_user_lstat;
    if (!nested) {
        int free_ = 0;
        while (!__atomic_compare_exchange_n(&glob_owner, &free_, self, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            free_ = 0;
            sys6(__NR_sched_yield, 0, 0, 0, 0, 0, 0);
        }
    }
    int (*user_stat)(const char *, void *) = pglob->gl_stat, (*user_lstat)(const char *, void *) = pglob->gl_lstat;
    glob_user_stat = user_stat;
    glob_user_lstat = user_lstat;
    pglob->gl_stat = glob_stat;
    pglob->gl_lstat = user_lstat ? glob_lstat : 0;
    int r = glob64(pattern, flags, errfunc, pglob);
    pglob->gl_stat = user_stat;
    pglob->gl_lstat = user_lstat;
    glob_user_stat = saved_stat;
    glob_user_lstat = saved_lstat;
    if (!nested)
        __atomic_store_n(&glob_owner, 0, __ATOMIC_RELEASE);
    return r;
}

/* The same function as globfree64: the structure it frees is the same. */
EXPORT void PF(__globfree64_time64)(struct glob64_ *pglob) { globfree64(pglob); }
#endif
