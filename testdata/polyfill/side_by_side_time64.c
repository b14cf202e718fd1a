/* 32-bit programs built with _TIME_BITS=64 (as Debian 12 builds coreutils, grep, tar):
 * the stat family (__stat64_time64 and siblings, polyfilled), fcntl and ioctl
 * (__fcntl_time64, __ioctl_time64: renamed to fcntl64 and ioctl), every field printed; the
 * clock functions (__clock_gettime64, __time64, __gettimeofday64, __nanosleep64) and
 * utimensat (__utimensat64). */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64
#define _TIME_BITS 64
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

/* Every field that is the same from run to run (a fresh file's inode and change time are not:
 * the inode is compared between calls instead, and the times set by futimens are printed). */
static unsigned long long last_ino;
static void show(const char *what, int r, const struct stat *s) {
    printf("%s: r=%d errno=%d", what, r, r ? errno : 0);
    if (!r) {
        printf(" dev=%llx ino>0=%d same ino=%d mode=%o nlink=%lu uid=%u gid=%u rdev=%llx size=%lld blksize=%ld blocks=%lld"
               " ctime>0=%d",
               (unsigned long long)s->st_dev, s->st_ino > 0, s->st_ino == last_ino, s->st_mode,
               (unsigned long)s->st_nlink, s->st_uid, s->st_gid, (unsigned long long)s->st_rdev, (long long)s->st_size,
               (long)s->st_blksize, (long long)s->st_blocks, s->st_ctim.tv_sec > 0);
        last_ino = s->st_ino;
    }
    printf("\n");
}
static void times(const struct stat *s) {
    printf("  atime=%lld.%09ld mtime=%lld.%09ld\n", (long long)s->st_atim.tv_sec, s->st_atim.tv_nsec,
           (long long)s->st_mtim.tv_sec, s->st_mtim.tv_nsec);
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    char path[4096];
    struct stat s;
    snprintf(path, sizeof path, "%s/file", dir);
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0640);
    write(fd, "0123456789", 10);
    /* A time past 2038 and one before 1970: only 64-bit times carry them. */
    struct timespec t[2] = {{4102444800LL, 123456789}, {-86400LL * 365, 5}};
    int r = futimens(fd, t);
    printf("futimens: r=%d\n", r);
    errno = 0; show("stat file", stat(path, &s), &s);
    times(&s);
    errno = 0; show("fstat fd", fstat(fd, &s), &s);
    times(&s);
    errno = 0; show("fstat -1", fstat(-1, &s), &s);
    errno = 0; show("lstat /proc/self", lstat("/proc/self", &s), &s);
    errno = 0; show("stat missing", stat("/nonexistent/x", &s), &s);
    errno = 0; show("stat notdir", stat("/etc/passwd/x", &s), &s);
    errno = 0; show("fstatat dir", fstatat(AT_FDCWD, dir, &s, 0), &s);
    errno = 0; show("fstatat badflag", fstatat(AT_FDCWD, "/", &s, 0x4000000), &s);
    errno = 0; show("fstatat empty", fstatat(fd, "", &s, AT_EMPTY_PATH), &s);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5000000000LL, .l_len = 10};
    errno = 0; r = fcntl(fd, F_SETLK, &fl); printf("fcntl F_SETLK beyond 4 GiB: r=%d errno=%d\n", r, r ? errno : 0);
    errno = 0; r = fcntl(fd, F_GETFD); printf("fcntl F_GETFD: %d\n", r);
    errno = 0; r = fcntl(-1, F_GETFD); printf("fcntl bad: %d errno=%d\n", r, errno);
    int n = -1;
    errno = 0; r = ioctl(fd, FIONREAD, &n); printf("ioctl FIONREAD: r=%d n=%d errno=%d\n", r, n, r ? errno : 0);
    errno = 0; r = ioctl(-1, FIONREAD, &n); printf("ioctl bad: r=%d errno=%d\n", r, errno);
    close(fd);
    /* utimensat (__utimensat64): times past 2038 and before 1970, UTIME_OMIT, a bad flag. */
    struct timespec u[2] = {{4102444801LL, 7}, {-86400LL * 366, UTIME_OMIT}};
    errno = 0; r = utimensat(AT_FDCWD, path, u, 0); printf("utimensat: r=%d errno=%d\n", r, r ? errno : 0);
    errno = 0; show("stat after utimensat", stat(path, &s), &s);
    times(&s);
    u[1].tv_nsec = 9;
    errno = 0; r = utimensat(AT_FDCWD, path, u, AT_SYMLINK_NOFOLLOW);
    printf("utimensat nofollow: r=%d errno=%d\n", r, r ? errno : 0);
    errno = 0; show("stat after utimensat nofollow", stat(path, &s), &s);
    times(&s);
    errno = 0; r = utimensat(AT_FDCWD, path, u, 0x4000000); printf("utimensat badflag: r=%d errno=%d\n", r, errno);
    errno = 0; r = utimensat(AT_FDCWD, "/nonexistent/x", u, 0); printf("utimensat missing: r=%d errno=%d\n", r, errno);

    struct timespec a, b;
    struct timeval tv;
    errno = 0; r = clock_gettime(CLOCK_REALTIME, &a); time_t now = time(NULL);
    printf("clock_gettime: r=%d after 2020=%d nsec ok=%d time agrees=%d\n", r, a.tv_sec > 1577836800LL,
           a.tv_nsec >= 0 && a.tv_nsec < 1000000000, now - a.tv_sec <= 5 && now >= a.tv_sec);
    errno = 0; r = clock_gettime(12345, &a); printf("clock_gettime bad clock: r=%d errno=%d\n", r, errno);
    errno = 0; r = gettimeofday(&tv, NULL);
    printf("gettimeofday: r=%d usec ok=%d agrees=%d\n", r, tv.tv_usec >= 0 && tv.tv_usec < 1000000,
           tv.tv_sec - now <= 5 && tv.tv_sec >= now);
    clock_gettime(CLOCK_MONOTONIC, &a);
    struct timespec d = {0, 2000000};
    errno = 0; r = nanosleep(&d, NULL);
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("nanosleep 2 ms: r=%d slept=%d\n", r,
           (b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec) >= 2000000);
    struct timespec bad = {0, 1000000000};
    errno = 0; r = nanosleep(&bad, NULL); printf("nanosleep bad: r=%d errno=%d\n", r, errno);
    return 0;
}
