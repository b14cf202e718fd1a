/* A shared library whose only glibc requirement is a weak reference to a function newer
 * than the baselines (arc4random, GLIBC_2.36). Built by tests/property.rs with
 * `gcc -shared -fPIC -nostartfiles -Wl,--no-as-needed -lc`: no crt files, so no
 * __cxa_finalize@GLIBC_2.2.5 either; .gnu.version_r holds exactly libc.so.6 GLIBC_2.36.
 * Real files of this shape: Debian's riscv64 cross libdl.so.2, libpthread.so.0, libutil.so.1
 * (only a weak __cxa_finalize@GLIBC_2.27) patched to 2.17. */
#include <stdint.h>

extern uint32_t arc4random(void) __attribute__((weak));

unsigned weak_entry(void) { return arc4random ? arc4random() % 1 : 7; }
