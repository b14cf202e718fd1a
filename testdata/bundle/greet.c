/* libgreet.so (SONAME libgreet.so.1): a library of the program's own, found through
   the program's RUNPATH; it uses zlib itself, so the bundle must carry libz for it. */
#include <zlib.h>
#include "greet.h"

unsigned long greet_checksum(const unsigned char *data, unsigned long len) {
    return crc32(adler32(0L, data, (uInt)len), data, (uInt)len);
}

const char *greet_name(void) { return "libgreet"; }
