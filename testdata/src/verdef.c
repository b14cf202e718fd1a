/* verdef.c: libverdef.so, a library that defines its own symbol versions.
 *
 * vd_value has two versions: the old vd_value@VERS_1.0 (a hidden,
 * non-default version) and the default vd_value@@VERS_2.0.  vd_v1_func exists
 * since VERS_1.0, vd_v2_func since VERS_2.0, and vd_counter is a versioned
 * data object.  See verdef.map for the version script. */
#include <stdio.h>
#include <string.h>

__asm__(".symver vd_value_v1, vd_value@VERS_1.0");
__asm__(".symver vd_value_v2, vd_value@@VERS_2.0");

int vd_counter = 40;

int vd_value_v1(void)
{
    return 1;
}

int vd_value_v2(void)
{
    return 2;
}

int vd_v1_func(const char *s)
{
    /* An import of its own, so the library has a verneed for libc too. */
    return (int)strlen(s) + vd_counter;
}

int vd_v2_func(int x)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%d", x * 2);
    return (int)strlen(buf);
}
