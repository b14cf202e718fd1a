/* A stand-in for a glibc 2.39 function, only to link statvfs_type.c as glibc 2.39 would
 * (the program then needs GLIBC_2.39, as every program built on 2.39 does for something). */
int pidfd_getpid(int fd) { (void)fd; return -1; }
