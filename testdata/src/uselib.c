/* uselib.c: an executable linked against libverdef.so.  Its verneed names
 * libverdef.so with VERS_1.0 and VERS_2.0 (besides libc.so.6), and it imports
 * vd_value twice: once at the default VERS_2.0 and once, through .symver, at
 * the old non-default VERS_1.0 -- two .dynsym entries with the same name and
 * different version indices. */
#include <stdio.h>

extern int vd_value(void);      /* binds to vd_value@@VERS_2.0 */
extern int vd_value_old(void);  /* renamed below to vd_value@VERS_1.0 */
__asm__(".symver vd_value_old, vd_value@VERS_1.0");
extern int vd_v1_func(const char *s);
extern int vd_v2_func(int x);
extern int vd_counter;

int main(int argc, char **argv)
{
    (void)argv;
    printf("vd_value=%d vd_value@VERS_1.0=%d\n", vd_value(), vd_value_old());
    printf("vd_v1_func=%d vd_v2_func=%d vd_counter=%d\n",
           vd_v1_func("abc"), vd_v2_func(argc * 500), vd_counter);
    return 0;
}
