/* The names glibc 2.42 added for the termios speed functions (cfgetobaud, cfgetibaud,
 * cfsetobaud, cfsetibaud, cfsetbaud), which take and return baud numbers as 2.42's
 * cfgetospeed and its siblings do. Declared here (older headers lack them) and linked
 * against a libc.so.6 of 2.42 or later; no Debian glibc has them, so the test compares the
 * output with 2.42's documented answers (the baud number in the speed field, its CBAUD
 * code in c_cflag; EINVAL for a rate without a code, which an older tcsetattr cannot
 * carry), on a pty after tcsetattr too. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

typedef unsigned int baud_t;
extern baud_t cfgetobaud(const struct termios *);
extern baud_t cfgetibaud(const struct termios *);
extern int cfsetobaud(struct termios *, baud_t);
extern int cfsetibaud(struct termios *, baud_t);
extern int cfsetbaud(struct termios *, baud_t);

int main(void) {
    struct termios t;
    memset(&t, 0, sizeof t);
    printf("cfsetobaud(4800) = %d\n", cfsetobaud(&t, 4800));
    printf("cfgetobaud = %u, CBAUD code %#o\n", cfgetobaud(&t), t.c_cflag & CBAUD);
    printf("cfsetibaud(230400) = %d\n", cfsetibaud(&t, 230400));
    printf("cfgetibaud = %u, CIBAUD code %#o\n", cfgetibaud(&t), (t.c_cflag >> 16) & CBAUD);
    errno = 0;
    int r = cfsetibaud(&t, 1234);
    printf("cfsetibaud(1234) = %d %s\n", r, errno == EINVAL ? "EINVAL" : "");
    printf("cfsetbaud(57600) = %d\n", cfsetbaud(&t, 57600));
    printf("cfgetobaud = %u cfgetibaud = %u\n", cfgetobaud(&t), cfgetibaud(&t));

    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0 || grantpt(m) || unlockpt(m))
        return 2;
    int s = open(ptsname(m), O_RDWR | O_NOCTTY);
    if (s < 0 || tcgetattr(s, &t))
        return 3;
    printf("cfsetbaud(1200) = %d\n", cfsetbaud(&t, 1200));
    if (tcsetattr(s, TCSANOW, &t) || tcgetattr(s, &t))
        return 4;
    printf("pty after tcsetattr: out %u in %u\n", cfgetobaud(&t), cfgetibaud(&t));
    return 0;
}
