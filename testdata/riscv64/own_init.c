/* A riscv64 program whose own _start passes a non-NULL init to __libc_start_main, as
   a _start linked before glibc 2.34 passed __libc_csu_init. Every glibc calls that init
   instead of running the executable's constructors, so here the constructor never runs
   and own_init runs once. The startup shim elfcompat injects must keep a non-NULL init
   (`bnez a3`): had it put its own in, the constructor would run and own_init would not.
   Built with -nostartfiles (tests/patch_riscv64.rs). */
#include <stdio.h>
#include "libc_version.h"

static int ctor_runs, init_runs, init_argc = -1;

__attribute__((constructor)) static void ctor(void) {
    ctor_runs++;
}

void own_init(int argc, char **argv, char **envp) {
    (void)argv; (void)envp;
    init_runs++;
    init_argc = argc;
}

int main(int argc, char **argv) {
    (void)argv;
    report_libc("own_init");
    printf("argc=%d own_init runs=%d (argc %d) constructor runs=%d\n", argc, init_runs,
           init_argc, ctor_runs);
    fflush(stdout);
    return init_runs == 1 && ctor_runs == 0 ? 0 : 1;
}

/* glibc's sysdeps/riscv/start.S, with init = own_init instead of 0. */
__asm__(
    ".text\n"
    ".globl _start\n"
    ".type _start, @function\n"
    "_start:\n"
    ".option push\n"
    ".option norelax\n"
    "1: auipc gp, %pcrel_hi(__global_pointer$)\n"
    "addi gp, gp, %pcrel_lo(1b)\n"
    ".option pop\n"
    "mv a5, a0\n"
    "lla a0, main\n"
    "ld a1, 0(sp)\n"
    "addi a2, sp, 8\n"
    "andi sp, sp, -16\n"
    "lla a3, own_init\n"
    "li a4, 0\n"
    "mv a6, sp\n"
    "call __libc_start_main@plt\n"
    "ebreak\n");
