/* printf %b (glibc 2.35): an older printf prints the conversion literally and consumes no
 * argument, so the %s after it reads the int as a pointer. The strftime %b is a month. */
#include <stdio.h>
#include <time.h>
int main(int argc, char **argv) { printf("%08b|%s\n", argc, argv[0]); char buf[64]; time_t t = 0; strftime(buf, sizeof buf, "%b %d %H:%M", gmtime(&t)); puts(buf); return 0; }
