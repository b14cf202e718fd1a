/* An executable that needs libruntime.so (found through -L at link time and
   DT_RUNPATH $ORIGIN at run time) and has a constructor of its own. */
#include <stdio.h>
#include "libc_version.h"

int lib_ctor_count(void);
long lib_compute(long v);
const char *lib_find(const char *sym);
const char *lib_phdrs(void);

static int main_ctor_runs;

__attribute__((constructor)) static void main_ctor(void) {
    main_ctor_runs++;
    printf("executable constructor (library constructor runs so far: %d)\n", lib_ctor_count());
}

int main(int argc, char **argv) {
    (void)argv;
    report_libc("shlib");
    printf("main: lib ctor runs %d, main ctor runs %d\n", lib_ctor_count(), main_ctor_runs);
    printf("lib_compute(%d) = %ld\n", argc + 11, lib_compute(argc + 11));
    printf("lib_find(lib_compute) = %s\n", lib_find("lib_compute"));
    printf("library program headers seen by the loader: %s\n", lib_phdrs());
    return main_ctor_runs == 1 && lib_ctor_count() == 1 ? 0 : 1;
}
