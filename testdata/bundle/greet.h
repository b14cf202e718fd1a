/* libgreet.so: the private library of zssl.c. */
unsigned long greet_checksum(const unsigned char *data, unsigned long len);
const char *greet_name(void);
