/* statvfs's f_type, glibc 2.39: the file system's magic number, in bytes older releases
 * leave zeroed (offset 88 on 64-bit; read by offset here, since the host's headers
 * predate the field). Linked against glibc239-stub.c's pidfd_getpid@GLIBC_2.39 (a weak
 * reference, never called) so that it needs 2.39, as a program built there would. */
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>

extern int pidfd_getpid(int) __attribute__((weak));

int main(int argc, char **argv) {
    if (argc > 2 && pidfd_getpid)
        return pidfd_getpid(-1);
    const char *path = argc > 1 ? argv[1] : "/";
    struct statvfs v;
    struct statfs f;
    memset(&v, 0xff, sizeof v);
    if (statvfs(path, &v) || statfs(path, &f))
        return 2;
    unsigned int f_type;
    memcpy(&f_type, (char *)&v + 88, sizeof f_type);
    printf("statvfs f_type %s statfs f_type\n", f_type == (unsigned int)f.f_type ? "==" : "!=");
    return 0;
}
