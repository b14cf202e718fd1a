/* A PIE with packed relative relocations (-z pack-relative-relocs), a constructor (so
 * .init_array holds a relative relocation) and a zero-initialised thread-local variable
 * (so .tbss, SHT_NOBITS + SHF_TLS, has the same address as .init_array: TLS bss takes no
 * room in the memory image). tests/property.rs patches it below 2.36, which expands the
 * RELR table: the RELR entries must be looked up in .init_array, not in .tbss. Debian
 * 12's own /usr/lib/x86_64-linux-gnu/libmemusage.so has this layout. */
#include <stdio.h>

static __thread int counter;
static int constructed;

__attribute__((constructor)) static void init(void) { constructed = 1; }

int main(void) {
    counter++;
    printf("tls %d, constructor ran: %d\n", counter, constructed);
    return 0;
}
