/* Loads a plugin (argv[1]) with dlopen, RTLD_NOW | RTLD_LOCAL as Python loads an
 * extension, and calls its greet() twice: once to get a greeting, once to get the message
 * of the exception an empty name throws inside the plugin.
 * Built by tests/bundle_private_versions.rs: gcc -O2 host.c -o host -ldl */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
    if (argc != 2)
        return 2;
    void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    int (*greet)(const char *, char *, unsigned long) =
        (int (*)(const char *, char *, unsigned long))dlsym(h, "greet");
    if (!greet) {
        fprintf(stderr, "%s\n", dlerror());
        return 1;
    }
    char buf[128];
    const char *names[] = {"world", ""};
    for (int i = 0; i < 2; i++) {
        int rc = greet(names[i], buf, sizeof buf);
        printf("%d %s\n", rc, buf);
    }
    return 0;
}
