/* fmemopen@GLIBC_2.22 (POSIX): its older version negates SEEK_END offsets, stops at the first
 * NUL and appends at the first NUL, so below 2.22 elfcompat links its own 2.22 stream. */
#include <stdio.h>
#include <string.h>
#include <errno.h>
static void show(const char *what, FILE *f, const char *buf, size_t n) {
    printf("%-28s pos %ld buf [", what, f ? ftell(f) : -2L);
    for (size_t i = 0; i < n; i++) putchar(buf[i] ? buf[i] : '0');
    printf("]\n");
}
int main(void) {
    char b[16] = "hello";
    FILE *f = fmemopen(b, sizeof b, "r+");
    fseek(f, -2, SEEK_END); show("r+ seek -2 end", f, b, sizeof b);
    fclose(f);
    char r[16] = "abc\0def";
    f = fmemopen(r, 8, "r");
    char out[32] = {0}; size_t n = fread(out, 1, sizeof out, f);
    printf("read %zu bytes:", n); for (size_t i = 0; i < n; i++) printf(" %02x", (unsigned char)out[i]); printf("\n");
    fclose(f);
    char a[16] = "ab\0zzzzzzzzzzzz";
    f = fmemopen(a, sizeof a, "a+");
    fputs("XY", f); fflush(f); show("a+ append", f, a, sizeof a);
    fseek(f, 0, SEEK_SET); fputs("Q", f); fflush(f); show("a+ seek 0 then write", f, a, sizeof a);
    fclose(f);
    char w[8] = "zzzzzzz";
    f = fmemopen(w, sizeof w, "w");
    int k = fputs("0123456789", f); int e = fflush(f);
    printf("w overflow: fputs %d fflush %d errno %s\n", k >= 0, e, e ? strerror(errno) : "-");
    show("w overflow", f, w, sizeof w);
    fclose(f);
    char wp[8] = "zzzzzzz";
    f = fmemopen(wp, sizeof wp, "w+"); show("w+ truncates", f, wp, sizeof wp);
    errno = 0; int s = fseek(f, 9, SEEK_SET); printf("seek past size: %d %s\n", s, errno == EINVAL ? "EINVAL" : "other");
    fclose(f);
    f = fmemopen(NULL, 10, "w+");
    fprintf(f, "%d-%s", 42, "x"); fflush(f); rewind(f);
    char g[16] = {0}; fgets(g, sizeof g, f); printf("own buffer: %s\n", g);
    fclose(f);
    errno = 0; f = fmemopen((void *)-8, 16, "r"); printf("wrapping buffer: %s %s\n", f ? "opened" : "NULL", errno == EINVAL ? "EINVAL" : "-");
    return 0;
}
