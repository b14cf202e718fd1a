/* fchmodat(AT_SYMLINK_NOFOLLOW) and lchmod, glibc 2.32: before, ENOTSUP for every file and
 * a stub (ENOSYS). With 2.32 a regular file's mode changes and a symbolic link's is
 * refused with EOPNOTSUPP. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *name(int e) {
    switch (e) {
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EINVAL: return "EINVAL";
    case ENOENT: return "ENOENT";
    case ENOSYS: return "ENOSYS";
    default: return "other";
    }
}

static void report(const char *what, int r, const char *path) {
    struct stat st;
    lstat(path, &st);
    printf("%-40s %2d %-12s mode %04o\n", what, r, r ? name(errno) : "-",
           (unsigned)(st.st_mode & 07777));
}

int main(int argc, char **argv) {
    if (argc < 2 || chdir(argv[1]))
        return 2;
    int fd = open("file", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    close(fd);
    unlink("link");
    symlink("file", "link");
    errno = 0;
    report("fchmodat(file, 0600, NOFOLLOW)", fchmodat(AT_FDCWD, "file", 0600, AT_SYMLINK_NOFOLLOW), "file");
    report("fchmodat(link, 0600, NOFOLLOW)", fchmodat(AT_FDCWD, "link", 0600, AT_SYMLINK_NOFOLLOW), "file");
    report("fchmodat(file, 0640, 0)", fchmodat(AT_FDCWD, "file", 0640, 0), "file");
    report("fchmodat(file, 0600, 0x200)", fchmodat(AT_FDCWD, "file", 0600, 0x200), "file");
    report("fchmodat(missing, 0600, NOFOLLOW)", fchmodat(AT_FDCWD, "missing", 0600, AT_SYMLINK_NOFOLLOW), "file");
    report("lchmod(file, 0604)", lchmod("file", 0604), "file");
    report("lchmod(link, 0600)", lchmod("link", 0600), "file");
    return 0;
}
