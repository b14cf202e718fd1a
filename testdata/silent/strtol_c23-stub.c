/* Stand-ins for glibc 2.38's C23 conversions, only to link strtol_c23.c: the test runs the
 * program after elfcompat has replaced every reference to them. */
long __isoc23_strtol(const char *s, char **e, int b) { (void)s; (void)e; (void)b; return 0; }
unsigned long long __isoc23_strtoull(const char *s, char **e, int b) { (void)s; (void)e; (void)b; return 0; }
long __isoc23_wcstol(const int *s, int **e, int b) { (void)s; (void)e; (void)b; return 0; }
long __isoc23_strtoimax(const char *s, char **e, int b) { (void)s; (void)e; (void)b; return 0; }
long __isoc23_strtol_l(const char *s, char **e, int b, void *l) { (void)s; (void)e; (void)b; (void)l; return 0; }
