/* totalorder@GLIBC_2.31 takes pointers; its older version (2.25) takes the values, so a
 * re-point would compare the pointers' bits. Below 2.31 elfcompat refuses. */
#define _GNU_SOURCE
#include <math.h>
#include <stdio.h>

int main(void) {
    double a = 1.0, b = -2.0;
    printf("totalorder(1, -2) = %d\n", totalorder(&a, &b));
    return 0;
}
