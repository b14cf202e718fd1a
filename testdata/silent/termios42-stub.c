/* Stand-ins for glibc 2.42's speed functions, only to link termios42.c: the test runs the
 * program after elfcompat has replaced every reference to them. */
int cfsetospeed(void *t, unsigned s) { (void)t; (void)s; return 0; }
int cfsetispeed(void *t, unsigned s) { (void)t; (void)s; return 0; }
int cfsetspeed(void *t, unsigned s) { (void)t; (void)s; return 0; }
unsigned cfgetospeed(const void *t) { (void)t; return 0; }
unsigned cfgetispeed(const void *t) { (void)t; return 0; }
