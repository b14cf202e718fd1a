/* pow/exp/log/exp2/log2: GLIBC_2.29 versions when linked today, GLIBC_2.2.5 below
   2.29. Inputs come from the command line or argc so nothing is constant-folded. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "libc_version.h"

int main(int argc, char **argv) {
    report_libc("math");
    double a = argc > 1 ? atof(argv[1]) : 1.5 + argc;   /* 2.5 */
    double b = argc > 2 ? atof(argv[2]) : 0.25 * argc;  /* 0.25 */
    printf("pow(%g, %g) = %.17g\n", a, b, pow(a, b));
    printf("exp(%g) = %.17g\n", a, exp(a));
    printf("log(%g) = %.17g\n", a, log(a));
    printf("exp2(%g) = %.17g\n", b, exp2(b));
    printf("log2(%g) = %.17g\n", a, log2(a));
    double sum = 0;
    for (int i = 1; i <= 1000; i++) sum += pow(a, i / 1000.0) + exp(-i / (double)argc / 100) + log(i * b);
    printf("sum = %.17g\n", sum);
    /* error handling must agree between the old and the new symbol versions */
    errno = 0;
    double l0 = log(0.0 * argc);
    printf("log(0) = %g errno=%s\n", l0, errno == ERANGE ? "ERANGE" : errno ? "other" : "0");
    errno = 0;
    double pn = pow(-a, b);
    printf("pow(-%g, %g) is nan: %d errno=%s\n", a, b, isnan(pn), errno == EDOM ? "EDOM" : errno ? "other" : "0");
    errno = 0;
    double big = exp(1000.0 * argc);
    printf("exp(1000) = %g errno=%s\n", big, errno == ERANGE ? "ERANGE" : errno ? "other" : "0");
    return 0;
}
