/* The termios speed functions of glibc 2.42. From 2.42, <termios.h> defines B9600 and the
 * other speeds as baud numbers (B9600 == 9600) and cfsetospeed@GLIBC_2.42 and its
 * siblings take and return baud numbers, storing the number in c_ospeed / c_ispeed and
 * the matching CBAUD code in c_cflag. The older versions take and return CBAUD codes
 * (B9600 == 015), so a 2.42 program re-pointed to them fails (cfsetospeed (t, 9600) is
 * EINVAL) or misreads (cfgetospeed returns 13). These are the 2.42 functions for an older
 * glibc, whose tcsetattr and tcgetattr carry the speed in c_cflag's CBAUD code only:
 *   - cfset*: the baud number's code into c_cflag and the number into the speed field;
 *     a rate without a code (2.42 would use BOTHER and termios2) fails with EINVAL, since
 *     the older tcsetattr cannot carry it;
 *   - cfget*: the speed from c_cflag's code (which the older tcgetattr sets, filling the
 *     speed fields with codes), or the field where the code is BOTHER; an input speed of
 *     0 reads as the output speed, as 2.42's canonicalisation makes it.
 * The layout of struct termios is the same in every release on x86_64 and aarch64, and on
 * s390x, riscv64 and the other architectures of the kernel's asm-generic termbits.h. */
#include "common.h"

struct termios_ {
    unsigned int c_iflag, c_oflag, c_cflag, c_lflag;
    unsigned char c_line;
    unsigned char c_cc[32];
    unsigned int c_ispeed, c_ospeed;
};

#define CBAUD 0010017u
#define CBAUDEX 0010000u
#define BOTHER 0010000u
#define IBSHIFT 16
#define CIBAUD (CBAUD << IBSHIFT)

/* Codes 0..017, then CBAUDEX | 1..017. */
static const unsigned int low[16] = {0, 50, 75, 110, 134, 150, 200, 300, 600, 1200, 1800,
                                     2400, 4800, 9600, 19200, 38400};
static const unsigned int high[16] = {0, 57600, 115200, 230400, 460800, 500000, 576000,
                                      921600, 1000000, 1152000, 1500000, 2000000, 2500000,
                                      3000000, 3500000, 4000000};

static unsigned int code_of(unsigned int baud) {
    for (unsigned int i = 0; i < 16; i++)
        if (low[i] == baud)
            return i;
    for (unsigned int i = 1; i < 16; i++)
        if (high[i] == baud)
            return CBAUDEX | i;
    return BOTHER;
}

/* The baud number of a code, or `other` where it has none (BOTHER). */
static unsigned int baud_of(unsigned int code, unsigned int other) {
    if (code & ~CBAUD)
        return other;
    if (code & CBAUDEX)
        return (code & 017) ? high[code & 017] : other;
    return low[code];
}

EXPORT unsigned int PF(cfgetospeed)(const struct termios_ *t) {
    return baud_of(t->c_cflag & CBAUD, t->c_ospeed);
}

EXPORT unsigned int PF(cfgetispeed)(const struct termios_ *t) {
    unsigned int in = baud_of((t->c_cflag & CIBAUD) >> IBSHIFT, t->c_ispeed);
    return in ? in : PF(cfgetospeed)(t);
}

EXPORT int PF(cfsetospeed)(struct termios_ *t, unsigned int baud) {
    unsigned int code = code_of(baud);
    if (code == BOTHER) {
        ERRNO = EINVAL;
        return -1;
    }
    t->c_ospeed = baud;
    t->c_cflag = (t->c_cflag & ~CBAUD) | code;
    return 0;
}

EXPORT int PF(cfsetispeed)(struct termios_ *t, unsigned int baud) {
    unsigned int code = code_of(baud);
    if (code == BOTHER) {
        ERRNO = EINVAL;
        return -1;
    }
    t->c_ispeed = baud;
    t->c_cflag = (t->c_cflag & ~CIBAUD) | (code << IBSHIFT);
    return 0;
}

EXPORT int PF(cfsetspeed)(struct termios_ *t, unsigned int baud) {
    int r = PF(cfsetospeed)(t, baud);
    return r ? r : PF(cfsetispeed)(t, baud);
}

/* The names 2.42 added for the same functions. */
EXPORT unsigned int PF(cfgetobaud)(const struct termios_ *t) { return PF(cfgetospeed)(t); }
EXPORT unsigned int PF(cfgetibaud)(const struct termios_ *t) { return PF(cfgetispeed)(t); }
EXPORT int PF(cfsetobaud)(struct termios_ *t, unsigned int b) { return PF(cfsetospeed)(t, b); }
EXPORT int PF(cfsetibaud)(struct termios_ *t, unsigned int b) { return PF(cfsetispeed)(t, b); }
EXPORT int PF(cfsetbaud)(struct termios_ *t, unsigned int b) { return PF(cfsetspeed)(t, b); }
