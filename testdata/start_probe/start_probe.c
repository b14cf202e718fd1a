/* Preloaded into a patched program on a glibc >= 2.34 to see what its _start hands the
   old __libc_start_main: the library defines __libc_start_main at the architecture's
   base version (OLD_VERSION, e.g. "GLIBC_2.2" on s390x; start_probe.map names it), so the
   patched program's re-pointed reference binds here first. It reports whether `init` is
   set (the startup shim's) and goes on to glibc's own function of that version, which
   calls a non-NULL init instead of running the constructors itself: what a glibc < 2.34
   always does. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

typedef int (*main_fn)(int, char **, char **);
typedef int (*start_fn)(main_fn, int, char **, void (*)(void), void (*)(void),
                        void (*)(void), void *);

int __libc_start_main(main_fn main, int argc, char **argv, void (*init)(void),
                      void (*fini)(void), void (*rtld_fini)(void), void *stack_end) {
    start_fn real = (start_fn)dlvsym(RTLD_NEXT, "__libc_start_main", OLD_VERSION);
    if (real == NULL) {
        fprintf(stderr, "start probe: no __libc_start_main@%s\n", OLD_VERSION);
        exit(99);
    }
    fprintf(stderr, "start probe: init %s\n", init != NULL ? "given" : "NULL");
    return real(main, argc, argv, init, fini, rtld_fini, stack_end);
}
