/* Constructors and destructors of the executable. glibc >= 2.34's _start passes
   init=NULL to __libc_start_main@GLIBC_2.34; re-pointed to the old version without a
   startup shim, none of these constructors would run under glibc < 2.34 (while the
   destructors still would). Each must run exactly once on every glibc. */
#include <stdio.h>
#include <stdlib.h>
#include "libc_version.h"

static int ctor_runs, ctor_prio_runs, preinit_runs, ctor_argc = -1;
static const char *ctor_argv1;

static void preinit(int argc, char **argv, char **envp) {
    (void)argc; (void)argv; (void)envp;
    preinit_runs++;
}
__attribute__((section(".preinit_array"), used)) static void (*preinit_entry)(int, char **, char **) = preinit;

__attribute__((constructor(101))) static void ctor_early(void) {
    ctor_prio_runs++;
}

__attribute__((constructor)) static void ctor(int argc, char **argv, char **envp) {
    (void)envp;
    ctor_runs++;
    ctor_argc = argc;
    ctor_argv1 = argc > 1 ? argv[1] : "(none)";
    printf("constructor: argc=%d argv[1]=%s early_ctor_ran=%d\n", argc, ctor_argv1, ctor_prio_runs);
}

__attribute__((destructor)) static void dtor(void) {
    printf("destructor: ctor_runs=%d\n", ctor_runs);
    fflush(stdout);
}

static void at_exit(void) {
    printf("atexit handler\n");
}

int main(int argc, char **argv) {
    (void)argv;
    report_libc("ctor");
    atexit(at_exit);
    printf("main: argc=%d ctor_runs=%d ctor_prio_runs=%d preinit_runs=%d ctor_argc=%d\n", argc,
           ctor_runs, ctor_prio_runs, preinit_runs, ctor_argc);
    return ctor_runs == 1 ? 7 : 1;
}
