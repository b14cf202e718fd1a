/* O_TMPFILE with a mode: glibc before 2.22 passes mode 0 to the kernel from openat (and on
 * aarch64 from open), so the file is created with mode 0000. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int show(const char *how, int fd) {
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(how);
        return 1;
    }
    printf("%s: mode %04o\n", how, (unsigned)(st.st_mode & 07777));
    close(fd);
    return 0;
}

int main(int argc, char **argv) {
    const char *dir = argc > 1 ? argv[1] : "/tmp";
    umask(022);
    int bad = show("openat O_TMPFILE 0640", openat(AT_FDCWD, dir, O_TMPFILE | O_RDWR, 0640));
    bad |= show("open O_TMPFILE 0600", open(dir, O_TMPFILE | O_WRONLY, 0600));
    /* Other opens pass through the wrapper unchanged. */
    bad |= show("openat O_RDONLY", openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY));
    return bad;
}
