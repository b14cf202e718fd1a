/* The calls the silent-change scan must see (use_*) and must not (ctl_*), each in its own
 * function so that a seen address can be placed by the symbol table
 * (tests/silent_scan_arches.rs). With -DCALL the results are used (a call), without it
 * each function ends in a tail call. With -DLIB it is a shared library. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <langinfo.h>
#include <stdio.h>
#include <unistd.h>

#ifdef CALL
#define R(x) ((x) + 1)
#else
#define R(x) (x)
#endif
#define F __attribute__((noinline))

F long use_sigstksz(void) { return R(sysconf(_SC_SIGSTKSZ)); }
F long use_minsigstksz(void) { return R(sysconf(_SC_MINSIGSTKSZ)); }
F long use_altmon(void) { return R((long)nl_langinfo(ALTMON_1)); }
F long use_tmpfile(int dir) { return R(openat(dir, ".", O_TMPFILE | O_RDWR, 0600)); }
F long ctl_pagesize(void) { return R(sysconf(_SC_PAGESIZE)); }
F long ctl_computed(int n) { return R(sysconf(n + 200)); }
F long ctl_computed_langinfo(int n) { return R((long)nl_langinfo(n)); }
F long ctl_open(int dir) { return R(openat(dir, ".", O_RDONLY | O_DIRECTORY)); }

#ifndef LIB
int main(int argc, char **argv) {
  (void)argv;
  printf("%ld %ld %ld %ld %ld %ld %ld %ld\n", use_sigstksz(), use_minsigstksz(), use_altmon(),
         use_tmpfile(argc), ctl_pagesize(), ctl_computed(argc + 49), ctl_computed_langinfo(argc),
         ctl_open(argc));
  return 0;
}
#endif
