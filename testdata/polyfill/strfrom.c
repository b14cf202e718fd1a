/* Side by side with glibc: strfromd, strfromf, strfroml and their _FloatN names
 * (polyfill/src/strfrom.c) over every conversion, precisions (none, ".", leading zeros,
 * large, too large for an int), trailing text, buffer sizes from 0 (a null buffer) up,
 * and values from zeros and subnormals to infinities and NaNs; formats glibc refuses end
 * the program with abort (checked in a child). Prints the return value and the buffer.
 * Built on glibc 2.36; patched to 2.17 it runs on polyfills. */
#define _GNU_SOURCE
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *FORMATS[] = {"%a", "%A", "%e", "%E", "%f", "%F", "%g", "%G", "%.0e",
                                "%.e", "%.3f", "%.10g", "%.40a", "%.007f", "%fxyz", "%.1a",
                                "%.17g", "%.300f", "%.2147483648f", "%.99999999999e", "%.G"};
/* Not size 1: glibc 2.25 to 2.36 then write past the buffer, up to the first NUL in it
 * (the size-1 string buffer libio treats as unbounded; fixed in 2.37), where the
 * polyfill, like 2.37 and later, writes only the terminating NUL. */
static const size_t SIZES[] = {0, 2, 6, 40, 400};
static char buf[512];

#define SHOW(call, what)                                                                 \
    for (unsigned s = 0; s < sizeof SIZES / sizeof SIZES[0]; s++) {                      \
        memset(buf, '#', sizeof buf);                                                    \
        char *dest = SIZES[s] ? buf : NULL;                                              \
        size_t size = SIZES[s];                                                          \
        int r = call;                                                                    \
        printf("%s %s %zu -> %d [%.*s]\n", what, fmt, size, r, (int)(size ? size + 1 : 0), buf); \
    }

static void dbl(double x) {
    char what[40];
    snprintf(what, sizeof what, "d %a", x);
    for (unsigned i = 0; i < sizeof FORMATS / sizeof FORMATS[0]; i++) {
        const char *fmt = FORMATS[i];
        SHOW(strfromd(dest, size, fmt, x), what)
        SHOW(strfromf64(dest, size, fmt, x), "f64")
        SHOW(strfromf((dest), size, fmt, (float)x), "f")
        SHOW(strfromf32(dest, size, fmt, (float)x), "f32")
        SHOW(strfroml(dest, size, fmt, (long double)x * 3), "l")
        SHOW(strfromf64x(dest, size, fmt, (long double)x / 3), "f64x")
        SHOW(strfromf32x(dest, size, fmt, x / 5), "f32x")
#if defined(__aarch64__) || defined(__s390x__)
        SHOW(strfromf128(dest, size, fmt, (long double)x / 7), "f128")
#endif
    }
}

static void refused(const char *fmt) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGABRT, SIG_DFL);
        close(2);
        strfromd(buf, sizeof buf, fmt, 1.5);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("refused \"%s\": %s %d\n", fmt, WIFSIGNALED(st) ? "signal" : "exit",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
}

int main(void) {
    static const double D[] = {0.0, -0.0, 1.0, -1.5, 0.1, 2.5, 1e-310, 4.9e-324, 1e300,
                               123456789.125, -0.000123, 1.0 / 3, 9.5, 0.5, 1e22,
                               HUGE_VAL, -HUGE_VAL, NAN, -NAN};
    for (unsigned i = 0; i < sizeof D / sizeof D[0]; i++) dbl(D[i]);
    unsigned long long seed = 0x6a09e667f3bcc909ULL;
    for (int i = 0; i < 40; i++) {
        seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
        double x;
        memcpy(&x, &seed, 8);
        dbl(x);
    }
    static const char *BAD[] = {"%d", "%5f", "", "%", "%.*f", "%Lf", "f", "%.-1f", "% f", "%#g"};
    for (unsigned i = 0; i < sizeof BAD / sizeof BAD[0]; i++) refused(BAD[i]);
    return 0;
}
