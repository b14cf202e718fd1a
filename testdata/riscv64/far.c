/* A riscv64 program whose file is larger than a `jal`'s reach (±1 MiB): 3 MiB of
   read-only data lie between `_start` and the end of the file, where elfcompat's new
   PT_LOAD (and the startup shim in it) goes. The shim is reached from the PLT stub of
   __libc_start_main by `auipc`/`jr`, which reaches ±2 GiB (tests/patch_riscv64.rs). */
#include <stdio.h>
#include "libc_version.h"

static int ctor_runs;
static const volatile unsigned char far_data[3 << 20] = {[0] = 1, [(3 << 20) - 1] = 2};

__attribute__((constructor)) static void ctor(void) {
    ctor_runs++;
}

int main(void) {
    report_libc("far");
    printf("constructor runs=%d first=%d last=%d\n", ctor_runs, far_data[0],
           far_data[sizeof far_data - 1]);
    return ctor_runs == 1 ? 0 : 1;
}
