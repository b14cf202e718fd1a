/* pkey_get and pkey_set (glibc 2.27) side by side with glibc's own (tests/polyfill_tail.rs):
 * invalid keys and rights, then on a key from pkey_alloc every rights value set and read
 * back, a page tagged with the key (pkey_mprotect) read while writes are disabled, and key
 * 0's rights. Where pkey_alloc fails (no protection keys) that is printed instead. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static void show(const char *what, int r) {
    printf("%s = %d", what, r);
    if (r < 0)
        printf(" errno %s", strerror(errno));
    printf("\n");
    errno = 0;
}

int main(void) {
    char buf[64];
    int bad_keys[] = {-1, 16, 1 << 30};
    for (unsigned i = 0; i < sizeof bad_keys / sizeof *bad_keys; i++) {
        snprintf(buf, sizeof buf, "pkey_get(%d)", bad_keys[i]);
        show(buf, pkey_get(bad_keys[i]));
        snprintf(buf, sizeof buf, "pkey_set(%d, 0)", bad_keys[i]);
        show(buf, pkey_set(bad_keys[i], 0));
    }
    show("pkey_set(0, 4)", pkey_set(0, 4));
    show("pkey_set(1, ~0u)", pkey_set(1, ~0u));
    int key = pkey_alloc(0, 0);
    if (key < 0) {
        show("pkey_alloc", key);
        return 0;
    }
    printf("pkey_alloc: a key\n");
    show("pkey_get(key) after alloc", pkey_get(key));
    for (unsigned r = 0; r <= 3; r++) {
        snprintf(buf, sizeof buf, "pkey_set(key, %u)", r);
        show(buf, pkey_set(key, r));
        snprintf(buf, sizeof buf, "pkey_get(key) after %u", r);
        show(buf, pkey_get(key));
    }
    volatile char *page = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    page[0] = 42;
    show("pkey_mprotect", pkey_mprotect((void *)page, 4096, PROT_READ | PROT_WRITE, key));
    show("pkey_set(key, PKEY_DISABLE_WRITE)", pkey_set(key, PKEY_DISABLE_WRITE));
    printf("read under PKEY_DISABLE_WRITE: %d\n", page[0]);
    show("pkey_set(key, 0)", pkey_set(key, 0));
    page[0] = 43;
    printf("written after re-enabling: %d\n", page[0]);
    show("pkey_get(0)", pkey_get(0));
    show("pkey_free", pkey_free(key));
    return 0;
}
