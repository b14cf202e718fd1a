/* start-old.c: _start for test programs that must need nothing newer than the base
   glibc version (tools/README.md explains it). Link with -nostartfiles. */
#ifdef __cplusplus
extern "C" {
#endif
/* normally from crtbegin.o; C++ static destructors register with it */
__attribute__((visibility("hidden"))) void *__dso_handle = &__dso_handle;
typedef void (*initfn)(int, char **, char **);
extern initfn __init_array_start[] __attribute__((visibility("hidden")));
extern initfn __init_array_end[] __attribute__((visibility("hidden")));
__attribute__((used)) static void start_old_init(int argc, char **argv, char **envp) {
    for (initfn *f = __init_array_start; f < __init_array_end; f++) (*f)(argc, argv, envp);
}
#if defined(__x86_64__)
__asm__(".symver __libc_start_main, __libc_start_main@GLIBC_2.2.5\n"
        ".text\n.globl _start\n.type _start,@function\n_start:\n"
        "  xor %ebp, %ebp\n  mov %rdx, %r9\n  pop %rsi\n  mov %rsp, %rdx\n"
        "  and $-16, %rsp\n  push %rax\n  push %rsp\n  xor %r8d, %r8d\n"
        "  lea start_old_init(%rip), %rcx\n"
        "  mov main@GOTPCREL(%rip), %rdi\n  call *__libc_start_main@GOTPCREL(%rip)\n  hlt\n");
#elif defined(__aarch64__)
__asm__(".symver __libc_start_main, __libc_start_main@GLIBC_2.17\n"
        ".text\n.globl _start\n.type _start,%function\n_start:\n"
        "  mov x29, #0\n  mov x30, #0\n  mov x5, x0\n  ldr x1, [sp]\n  add x2, sp, #8\n"
        "  mov x6, sp\n  adrp x0, :got:main\n  ldr x0, [x0, #:got_lo12:main]\n"
        "  adrp x3, start_old_init\n  add x3, x3, :lo12:start_old_init\n"
        "  mov x4, #0\n  bl __libc_start_main\n  brk #1000\n");
#endif
#ifdef __cplusplus
}
#endif
