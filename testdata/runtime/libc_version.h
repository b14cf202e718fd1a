/* Shared by the C test programs: report which glibc actually runs the program, on
   stderr (stdout must be identical under every glibc). confstr(_CS_GNU_LIBC_VERSION)
   exists at the base version, so it adds no version requirement. */
#ifndef LIBC_VERSION_H
#define LIBC_VERSION_H
#include <stdio.h>
#include <unistd.h>
static void report_libc(const char *prog) {
    char buf[64];
    if (confstr(_CS_GNU_LIBC_VERSION, buf, sizeof buf) > 0)
        fprintf(stderr, "%s: running on %s\n", prog, buf);
}
#endif
