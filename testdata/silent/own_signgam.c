/* A program that defines its own signgam (ISO C lets it: the name is not reserved) and
 * exports it (-rdynamic). lgamma@GLIBC_2.23 leaves it alone; the older versions write the
 * sign into the signgam the lookup finds first, the program's. */
#include <math.h>
#include <stdio.h>

int signgam = 42;

int main(void) {
    volatile double x = -0.5;
    double y = lgamma(x);
    printf("lgamma(-0.5) = %.6f, the program's signgam is still %d\n", y, signgam);
    return 0;
}
