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
