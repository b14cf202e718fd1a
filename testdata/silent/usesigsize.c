#include <stdio.h>
long signal_stack_size(void);
int main(void) {
    long n = signal_stack_size();
    printf("the library's SIGSTKSZ is %ld\n", n);
    return n > 0 ? 0 : 1;
}
