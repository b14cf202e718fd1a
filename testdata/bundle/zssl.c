/* A C program with its own shared library (libgreet.so.1, RUNPATH to its build
   directory) that also links the host's zlib and OpenSSL (libssl, libcrypto).
   Prints deterministic checksums and digests; exit code 3. */
#include <stdio.h>
#include <string.h>
#include <zlib.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include "greet.h"

int main(void) {
    static const char text[] =
        "elfcompat bundles a program with the libraries it needs, lowered to glibc 2.31.";
    const unsigned char *data = (const unsigned char *)text;
    unsigned long len = sizeof text - 1;

    printf("%s: checksum=%08lx\n", greet_name(), greet_checksum(data, len));

    unsigned char packed[256], unpacked[256];
    uLongf plen = sizeof packed, ulen = sizeof unpacked;
    if (compress2(packed, &plen, data, len, 9) != Z_OK) return 1;
    if (uncompress(unpacked, &ulen, packed, plen) != Z_OK) return 1;
    printf("zlib: crc32=%08lx roundtrip=%s\n", crc32(0L, data, (uInt)len),
           ulen == len && memcmp(unpacked, data, len) == 0 ? "ok" : "BAD");

    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL)) return 1;
    printf("sha256=");
    for (unsigned int i = 0; i < mdlen; i++) printf("%02x", md[i]);
    printf("\n");

    /* Something from libssl itself, so it is really needed. */
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return 1;
    printf("libssl: ctx=ok min_proto=%s\n", SSL_CTX_get_min_proto_version(ctx) >= 0 ? "set" : "?");
    SSL_CTX_free(ctx);
    return 3;
}
