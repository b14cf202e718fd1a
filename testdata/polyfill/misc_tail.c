/* The polyfills of polyfill/src/misc_tail.c and strfroml on aarch64 (tests/polyfill_tail.rs;
 * ppc64el and riscv64: tests/polyfill_arches.rs).
 *
 * Always: c8rtomb, mbrtoc8 (glibc 2.36) and, but on ppc64el, strfroml and strfromf64x (and
 * strfromf128 on aarch64 and s390x, whose long double it is), whose results and errno are
 * printed to be compared with glibc's own.
 * With -DNEW (linked against stub libraries of glibc 2.43): memset_explicit,
 * __memset_explicit_chk, memalignment, __inet_ntop_chk, __inet_pton_chk, mseal and
 * openat2, which no Debian glibc has, each checked here against its documented semantics
 * (mseal and openat2 against the raw system call); a failed check prints "FAIL" on stderr
 * and the program exits 1. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

typedef unsigned char c8;
size_t c8rtomb(char *, c8, mbstate_t *);
size_t mbrtoc8(c8 *, const char *, size_t, mbstate_t *);

static long r(size_t v) { return (long)v; }

/* mbrtoc8 over `s` (`len` bytes) with `n` bytes offered per call. */
static void to_c8(const char *label, const char *s, size_t len, size_t n) {
    mbstate_t st;
    memset(&st, 0, sizeof st);
    printf("mbrtoc8 %s n=%zu:", label, n);
    size_t i = 0;
    for (int calls = 0; calls < 64; calls++) {
        c8 u = 0xAA;
        size_t off = n < len - i ? n : len - i;
        errno = 0;
        size_t res = mbrtoc8(&u, s + i, off, &st);
        printf(" %ld/%02x/%d", r(res), u, errno);
        /* Past the end: on until the pending units are out (-2 for no input then). */
        if (res == (size_t)-1 || (res == (size_t)-2 && off == 0))
            break;
        if (res == (size_t)-2)
            i += off;
        else if (res != (size_t)-3)
            i += res ? res : 1;
    }
    printf("\n");
}

/* c8rtomb over the code units `u`, with a null pointer for s at index `null_s_at`. */
static void from_c8(const char *label, const c8 *u, size_t len, int null_s_at) {
    mbstate_t st;
    memset(&st, 0, sizeof st);
    printf("c8rtomb %s:", label);
    for (size_t i = 0; i < len; i++) {
        char out[MB_LEN_MAX + 1];
        memset(out, 0, sizeof out);
        errno = 0;
        size_t res = c8rtomb((int)i == null_s_at ? NULL : out, u[i], &st);
        printf(" %ld/%d/", r(res), errno);
        for (size_t k = 0; res != (size_t)-1 && k < res; k++)
            printf("%02x", (unsigned char)out[k]);
        if (res == (size_t)-1)
            break;
    }
    printf("\n");
}

static void char8(const char *locale) {
    const char *set = setlocale(LC_ALL, locale);
    printf("locale %s: %s\n", locale, set ? "set" : "unavailable");
    if (!set)
        return;
    const char text[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
    for (size_t n = 1; n <= 5; n += 4)
        to_c8("text", text, sizeof text - 1, n);
    to_c8("nul", "\0x", 2, 2);
    to_c8("bad lead", "\xff", 1, 1);
    to_c8("bad trail", "\xe2\x41", 2, 2);
    to_c8("surrogate", "\xed\xa0\x80", 3, 3);
    to_c8("high", "\xc2\x80", 2, 2);
    /* Internal state (ps NULL) and a null s. */
    c8 u = 0xAA;
    size_t a = mbrtoc8(&u, "\xc3\xa9", 2, NULL);
    printf("mbrtoc8 internal: %ld/%02x", r(a), u);
    a = mbrtoc8(&u, NULL, 0, NULL);
    printf(" %ld/%02x", r(a), u);
    a = mbrtoc8(&u, NULL, 0, NULL);
    printf(" %ld/%02x\n", r(a), u);

    const c8 units[] = {'a', 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0};
    from_c8("text", units, sizeof units, -1);
    const c8 bad[][4] = {{0x80}, {0xc1}, {0xf5}, {0xe0, 0x80}, {0xed, 0xa0}, {0xf0, 0x80},
                         {0xf4, 0x90}, {0xc3, 0x41}, {0xe2, 0x82, 0x41}, {0xf0, 0x9f, 0x98, 0xc0}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char label[16];
        snprintf(label, sizeof label, "bad%zu", i);
        from_c8(label, bad[i], 4, -1);
    }
    const c8 cut[] = {0xe2, 0x82, 0};
    from_c8("null s mid", cut, 3, 1);
    const c8 nul[] = {'b', 0};
    from_c8("null s", nul, 2, 1);
    char out[8] = {0};
    size_t b = c8rtomb(out, 0xc3, NULL);
    size_t c = c8rtomb(out, 0xa9, NULL);
    printf("c8rtomb internal: %ld %ld %02x%02x\n", r(b), r(c), (unsigned char)out[0],
           (unsigned char)out[1]);
}

static void strfrom(void) {
    static const long double values[] = {1.1L, -0.0L, 1e4000L, 3.0L, 1e-4940L, 0.1L};
    static const char *formats[] = {"%g", "%.30g", "%a", "%.3e", "%f", "%.0A", "%.G"};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
            char a[80], b[80], c[8];
            int n = strfroml(a, sizeof a, formats[f], values[i]);
            int m = strfromf64x(b, sizeof b, formats[f], values[i]);
            int k = strfroml(c, sizeof c, formats[f], values[i]);
            printf("strfroml %s: %d %s | %d %s | %d %s\n", formats[f], n, a, m, b, k, c);
#if defined(__aarch64__) || defined(__s390x__)
            int q = strfromf128(b, sizeof b, formats[f], values[i]);
            printf("strfromf128 %s: %d %s\n", formats[f], q, b);
#endif
        }
}

#ifdef NEW
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

void *memset_explicit(void *, int, size_t);
void *__memset_explicit_chk(void *, int, size_t, size_t);
size_t memalignment(const void *);
const char *__inet_ntop_chk(int, const void *, char *, socklen_t, size_t);
int __inet_pton_chk(int, const char *, void *, size_t);
int mseal(void *, size_t, unsigned long);
struct open_how { uint64_t flags, mode, resolve; };
int openat2(int, const char *, struct open_how *, size_t);

static int failures, checks;
#define CHECK(cond, ...)                                                                   \
    do {                                                                                   \
        checks++;                                                                          \
        if (!(cond)) {                                                                     \
            failures++;                                                                    \
            fprintf(stderr, "FAIL line %d: ", __LINE__);                                   \
            fprintf(stderr, __VA_ARGS__);                                                  \
            fprintf(stderr, "\n");                                                         \
        }                                                                                  \
    } while (0)

/* Whether f() ends the process with SIGABRT (__chk_fail), in a child. */
static int aborts(void (*f)(void)) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        f();
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

static char buf[64];
static void memset_chk_over(void) { __memset_explicit_chk(buf, 1, 9, 8); }
static void ntop_chk_over(void) {
    unsigned char a[4] = {1, 2, 3, 4};
    __inet_ntop_chk(AF_INET, a, buf, 17, 16);
}
static void pton_chk_v4(void) { __inet_pton_chk(AF_INET, "1.2.3.4", buf, 3); }
static void pton_chk_v6(void) { __inet_pton_chk(AF_INET6, "::1", buf, 15); }

static void mem(void) {
    memset(buf, 'x', sizeof buf);
    CHECK(memset_explicit(buf + 1, 0x1ab, 5) == buf + 1, "memset_explicit's result");
    CHECK(buf[0] == 'x' && memcmp(buf + 1, "\xab\xab\xab\xab\xab", 5) == 0 && buf[6] == 'x',
          "memset_explicit's bytes");
    CHECK(memset_explicit(buf, 0, 0) == buf && buf[0] == 'x', "memset_explicit of 0 bytes");
    CHECK(__memset_explicit_chk(buf, 0, 8, 8) == buf && buf[7] == 0 && buf[8] == 'x',
          "__memset_explicit_chk within the buffer");
    CHECK(aborts(memset_chk_over), "__memset_explicit_chk past the buffer aborts");

    CHECK(memalignment(NULL) == 0, "memalignment(NULL) %zu", memalignment(NULL));
    static const uintptr_t addrs[][2] = {{1, 1}, {2, 2}, {3, 1}, {0x30, 0x10}, {0x1000, 0x1000},
                                         {0xdeadbeef0, 0x10}, {(uintptr_t)1 << 63, (uintptr_t)1 << 63},
                                         {UINTPTR_MAX, 1}};
    for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++)
        CHECK(memalignment((void *)addrs[i][0]) == addrs[i][1], "memalignment(%#lx) = %#zx",
              (unsigned long)addrs[i][0], memalignment((void *)addrs[i][0]));
    void *p = aligned_alloc(4096, 4096);
    CHECK(memalignment(p) >= 4096 && memalignment((char *)p + 8) == 8, "memalignment of heap");
    free(p);
}

static void inet(void) {
    unsigned char v4[4] = {192, 0, 2, 33}, v6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 1};
    char s[64];
    CHECK(__inet_ntop_chk(AF_INET, v4, s, 16, sizeof s) == s && strcmp(s, "192.0.2.33") == 0,
          "__inet_ntop_chk v4 %s", s);
    CHECK(__inet_ntop_chk(AF_INET6, v6, s, 46, 46) == s && strcmp(s, "2001:db8::1") == 0,
          "__inet_ntop_chk v6 %s", s);
    errno = 0;
    CHECK(__inet_ntop_chk(AF_INET, v4, s, 5, sizeof s) == NULL && errno == ENOSPC,
          "__inet_ntop_chk too small: errno %d", errno);
    errno = 0;
    CHECK(__inet_ntop_chk(12345, v4, s, 16, sizeof s) == NULL && errno == EAFNOSUPPORT,
          "__inet_ntop_chk bad family: errno %d", errno);
    CHECK(aborts(ntop_chk_over), "__inet_ntop_chk size past the buffer aborts");

    unsigned char out[16];
    CHECK(__inet_pton_chk(AF_INET, "198.51.100.7", out, 4) == 1 &&
              memcmp(out, "\xc6\x33\x64\x07", 4) == 0,
          "__inet_pton_chk v4");
    CHECK(__inet_pton_chk(AF_INET6, "2001:db8::1", out, 16) == 1 && memcmp(out, v6, 16) == 0,
          "__inet_pton_chk v6");
    CHECK(__inet_pton_chk(AF_INET, "1.2.3", out, 4) == 0, "__inet_pton_chk invalid");
    errno = 0;
    CHECK(__inet_pton_chk(12345, "1.2.3.4", out, 0) == -1 && errno == EAFNOSUPPORT,
          "__inet_pton_chk bad family: errno %d", errno);
    CHECK(aborts(pton_chk_v4), "__inet_pton_chk v4 into 3 bytes aborts");
    CHECK(aborts(pton_chk_v6), "__inet_pton_chk v6 into 15 bytes aborts");
}

/* The polyfill's result and errno against the raw system call's. */
#define SAME(label, call, raw)                                                             \
    do {                                                                                   \
        errno = 0;                                                                         \
        long a_ = (call);                                                                  \
        int ea_ = errno;                                                                   \
        errno = 0;                                                                         \
        long b_ = (raw);                                                                   \
        int eb_ = errno;                                                                   \
        CHECK((a_ < 0) == (b_ < 0) && ea_ == eb_, "%s: %ld/%d, the system call %ld/%d", label, \
              a_, ea_, b_, eb_);                                                           \
        printf("%s: %s errno %d\n", label, a_ < 0 ? "-1" : "ok", ea_);                    \
        if (a_ > 2)                                                                        \
            close((int)a_);                                                                \
        if (b_ > 2)                                                                        \
            close((int)b_);                                                                \
    } while (0)

static void syscalls(void) {
    long page = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED, "mmap");
    SAME("mseal", mseal(m, page, 0), syscall(462, m + page, page, 0));
    SAME("mseal flags", mseal(m + 2 * page, page, 1), syscall(462, m + 3 * page, page, 1));
    SAME("mseal unaligned", mseal(m + 1, page, 0), syscall(462, m + 1, page, 0));

    struct open_how dir = {O_RDONLY | O_DIRECTORY, 0, 0}, beneath = {O_RDONLY, 0, 0x08},
                    bad = {O_RDONLY, 0777, 0};
    SAME("openat2 /", openat2(AT_FDCWD, "/", &dir, sizeof dir),
         syscall(437, AT_FDCWD, "/", &dir, sizeof dir));
    SAME("openat2 beneath", openat2(AT_FDCWD, "/etc", &beneath, sizeof beneath),
         syscall(437, AT_FDCWD, "/etc", &beneath, sizeof beneath));
    SAME("openat2 mode", openat2(AT_FDCWD, "/", &bad, sizeof bad),
         syscall(437, AT_FDCWD, "/", &bad, sizeof bad));
    SAME("openat2 size", openat2(AT_FDCWD, "/", &dir, 8), syscall(437, AT_FDCWD, "/", &dir, 8));
    SAME("openat2 missing", openat2(AT_FDCWD, "/nonexistent/x", &dir, sizeof dir),
         syscall(437, AT_FDCWD, "/nonexistent/x", &dir, sizeof dir));
}
#endif

int main(void) {
    char8("C.UTF-8");
    char8("C");
#if !defined(__powerpc64__)
    strfrom();
#endif /* ppc64el's long double is IBM double-double, which polyfill/src/strfrom.c does not
        * handle: its object has no strfrom polyfills (polyfill/build.sh), so a program
        * calling strfroml cannot be lowered below 2.25 there. */
#ifdef NEW
    mem();
    inet();
    syscalls();
    printf("checked %d, failed %d\n", checks, failures);
    return failures != 0;
#else
    return 0;
#endif
}
