/* dlopen/dlsym/dlerror/dlclose: dl*@GLIBC_2.34 in libc.so.6 when linked against
   glibc >= 2.34; below 2.34 they live in libdl.so.2. Looks up libm's cos at run time. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include "libc_version.h"

int main(int argc, char **argv) {
    report_libc("dlopen");
    void *h = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    double (*cosp)(double) = (double (*)(double))dlsym(h, "cos");
    if (!cosp) {
        printf("dlsym failed: %s\n", dlerror());
        return 1;
    }
    double x = argc > 1 ? atof(argv[1]) : 0.5 * argc;
    printf("cos(%g) = %.17g\n", x, cosp(x));
    void *missing = dlsym(h, "no_such_symbol_in_libm");
    printf("missing symbol: %s, dlerror set: %s\n", missing ? "found" : "null",
           dlerror() ? "yes" : "no");
    void *self = dlopen(NULL, RTLD_NOW);
    printf("main program handle: %s\n", self ? "ok" : "null");
    printf("dlclose: %d\n", dlclose(h));
    return 3;
}
