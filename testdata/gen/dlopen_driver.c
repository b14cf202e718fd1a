/* Loads a shared library built by tests/property.rs with RTLD_NOW (every symbol bound at
 * once, like LD_BIND_NOW) and calls its gen_entry(): so a patched library "runs" too. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: dlopen_driver LIBRARY\n");
        return 97;
    }
    void *h = dlopen(argv[1], RTLD_NOW);
    if (!h) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 99;
    }
    int (*entry)(void) = (int (*)(void))dlsym(h, "gen_entry");
    if (!entry) {
        fprintf(stderr, "dlsym: %s\n", dlerror());
        return 98;
    }
    fflush(stdout);
    int r = entry();
    fflush(stdout);
    return r;
}
