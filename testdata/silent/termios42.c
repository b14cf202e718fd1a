/* A program as glibc 2.42 builds it: the speed functions at GLIBC_2.42 (linked here against
 * a stub libc.so.6 that defines them at that version, since the host's glibc is older),
 * called with baud numbers, as 2.42's B9600 == 9600 passes them. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

int main(void) {
    struct termios t;
    memset(&t, 0, sizeof t);
    printf("cfsetospeed(9600) = %d\n", cfsetospeed(&t, 9600));
    printf("cfgetospeed = %u, CBAUD code %#o\n", (unsigned)cfgetospeed(&t), t.c_cflag & CBAUD);
    printf("cfsetispeed(115200) = %d\n", cfsetispeed(&t, 115200));
    printf("cfgetispeed = %u\n", (unsigned)cfgetispeed(&t));
    errno = 0;
    int r = cfsetospeed(&t, 12345);
    printf("cfsetospeed(12345) = %d %s\n", r, errno == EINVAL ? "EINVAL" : "");

    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) || unlockpt(m))
        return 2;
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    if (s < 0 || tcgetattr(s, &t))
        return 3;
    printf("cfsetspeed(38400) = %d\n", cfsetspeed(&t, 38400));
    if (tcsetattr(s, TCSANOW, &t) || tcgetattr(s, &t))
        return 4;
    printf("pty after tcsetattr: out %u in %u\n", (unsigned)cfgetospeed(&t), (unsigned)cfgetispeed(&t));
    return 0;
}
