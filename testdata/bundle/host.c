/* A C program that dlopens a C++ plugin by its bare file name, "libplugin.so",
   so the loader searches the program's RUNPATH (then LD_LIBRARY_PATH, the cache and
   the default directories) for it: the program has no DT_NEEDED on it and does not
   link libstdc++ itself. Exit code 5. */
#include <dlfcn.h>
#include <stdio.h>

int main(void) {
    void *h = dlopen("libplugin.so", RTLD_NOW);
    if (!h) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    int (*transform)(const char *, char *, unsigned long) =
        (int (*)(const char *, char *, unsigned long))dlsym(h, "plugin_transform");
    if (!transform) {
        printf("dlsym failed: %s\n", dlerror());
        return 1;
    }
    char out[64];
    const char *words[] = {"hello", "", "bullseye"};
    for (int i = 0; i < 3; i++) {
        int n = transform(words[i], out, sizeof out);
        printf("plugin(\"%s\") = %d %s\n", words[i], n, out);
    }
    dlclose(h);
    return 5;
}
