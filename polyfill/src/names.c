/* Names of signals and error numbers (glibc 2.32's sigabbrev_np and strerrorname_np), the
 * time base resolution (2.34's timespec_getres) and 2.30's twalk_r. */
#include "common.h"

/* glibc's tables (signal/siglist.h, sysdeps/unix/sysv/linux/errlist.h), the same on x86_64
 * and aarch64 (asm-generic numbering). sigabbrev_np has no name for real-time signals. */
static const char sig_names[] =
    "HUP\0" "INT\0" "QUIT\0" "ILL\0" "TRAP\0" "ABRT\0" "BUS\0" "FPE\0" "KILL\0" "USR1\0" "SEGV\0" 
    "USR2\0" "PIPE\0" "ALRM\0" "TERM\0" "STKFLT\0" "CHLD\0" "CONT\0" "STOP\0" "TSTP\0" "TTIN\0" 
    "TTOU\0" "URG\0" "XCPU\0" "XFSZ\0" "VTALRM\0" "PROF\0" "WINCH\0" "POLL\0" "PWR\0" "SYS\0" ;
static const unsigned short sig_offset[] = {
    65535, 0, 4, 8, 13, 17, 22, 27, 31, 35, 40, 45,
    50, 55, 60, 65, 70, 77, 82, 87, 92, 97, 102, 107,
    111, 116, 121, 128, 133, 139, 144, 148,
};
static const char err_names[] =
    "0\0" "EPERM\0" "ENOENT\0" "ESRCH\0" "EINTR\0" "EIO\0" "ENXIO\0" "E2BIG\0" "ENOEXEC\0" 
    "EBADF\0" "ECHILD\0" "EAGAIN\0" "ENOMEM\0" "EACCES\0" "EFAULT\0" "ENOTBLK\0" "EBUSY\0" 
    "EEXIST\0" "EXDEV\0" "ENODEV\0" "ENOTDIR\0" "EISDIR\0" "EINVAL\0" "ENFILE\0" "EMFILE\0" 
    "ENOTTY\0" "ETXTBSY\0" "EFBIG\0" "ENOSPC\0" "ESPIPE\0" "EROFS\0" "EMLINK\0" "EPIPE\0" 
    "EDOM\0" "ERANGE\0" "EDEADLK\0" "ENAMETOOLONG\0" "ENOLCK\0" "ENOSYS\0" "ENOTEMPTY\0" 
    "ELOOP\0" "ENOMSG\0" "EIDRM\0" "ECHRNG\0" "EL2NSYNC\0" "EL3HLT\0" "EL3RST\0" "ELNRNG\0" 
    "EUNATCH\0" "ENOCSI\0" "EL2HLT\0" "EBADE\0" "EBADR\0" "EXFULL\0" "ENOANO\0" "EBADRQC\0" 
    "EBADSLT\0" "EBFONT\0" "ENOSTR\0" "ENODATA\0" "ETIME\0" "ENOSR\0" "ENONET\0" "ENOPKG\0" 
    "EREMOTE\0" "ENOLINK\0" "EADV\0" "ESRMNT\0" "ECOMM\0" "EPROTO\0" "EMULTIHOP\0" "EDOTDOT\0" 
    "EBADMSG\0" "EOVERFLOW\0" "ENOTUNIQ\0" "EBADFD\0" "EREMCHG\0" "ELIBACC\0" "ELIBBAD\0" 
    "ELIBSCN\0" "ELIBMAX\0" "ELIBEXEC\0" "EILSEQ\0" "ERESTART\0" "ESTRPIPE\0" "EUSERS\0" 
    "ENOTSOCK\0" "EDESTADDRREQ\0" "EMSGSIZE\0" "EPROTOTYPE\0" "ENOPROTOOPT\0" "EPROTONOSUPPORT\0" 
    "ESOCKTNOSUPPORT\0" "EOPNOTSUPP\0" "EPFNOSUPPORT\0" "EAFNOSUPPORT\0" "EADDRINUSE\0" 
    "EADDRNOTAVAIL\0" "ENETDOWN\0" "ENETUNREACH\0" "ENETRESET\0" "ECONNABORTED\0" "ECONNRESET\0" 
    "ENOBUFS\0" "EISCONN\0" "ENOTCONN\0" "ESHUTDOWN\0" "ETOOMANYREFS\0" "ETIMEDOUT\0" 
    "ECONNREFUSED\0" "EHOSTDOWN\0" "EHOSTUNREACH\0" "EALREADY\0" "EINPROGRESS\0" "ESTALE\0" 
    "EUCLEAN\0" "ENOTNAM\0" "ENAVAIL\0" "EISNAM\0" "EREMOTEIO\0" "EDQUOT\0" "ENOMEDIUM\0" 
    "EMEDIUMTYPE\0" "ECANCELED\0" "ENOKEY\0" "EKEYEXPIRED\0" "EKEYREVOKED\0" "EKEYREJECTED\0" 
    "EOWNERDEAD\0" "ENOTRECOVERABLE\0" "ERFKILL\0" "EHWPOISON\0" ;
static const unsigned short err_offset[] = {
    0, 2, 8, 15, 21, 27, 31, 37, 43, 51, 57, 64,
    71, 78, 85, 92, 100, 106, 113, 119, 126, 134, 141, 148,
    155, 162, 169, 177, 183, 190, 197, 203, 210, 216, 221, 228,
    236, 249, 256, 263, 273, 65535, 279, 286, 292, 299, 308, 315,
    322, 329, 337, 344, 351, 357, 363, 370, 377, 385, 65535, 393,
    400, 407, 415, 421, 427, 434, 441, 449, 457, 462, 469, 475,
    482, 492, 500, 508, 518, 527, 534, 542, 550, 558, 566, 574,
    583, 590, 599, 608, 615, 624, 637, 646, 657, 669, 685, 701,
    712, 725, 738, 749, 763, 772, 784, 794, 807, 818, 826, 834,
    843, 853, 866, 876, 889, 899, 912, 921, 933, 940, 948, 956,
    964, 971, 981, 988, 998, 1010, 1020, 1027, 1039, 1051, 1064, 1075,
    1091, 1099,
};
#define COUNT(a) (int)(sizeof(a) / sizeof(a[0]))
/* Offsets, not pointers: the polyfill object must need no load-time relocation. */
EXPORT const char *PF(sigabbrev_np)(int sig) {
    if (sig < 0 || sig >= COUNT(sig_offset) || sig_offset[sig] == 0xffff)
        return 0;
    return sig_names + sig_offset[sig];
}
EXPORT const char *PF(strerrorname_np)(int err) {
    if (err < 0 || err >= COUNT(err_offset) || err_offset[err] == 0xffff)
        return 0;
    return err_names + err_offset[err];
}

/* glibc 2.34-2.42 (time/timespec_getres.c): TIME_UTC (1) is CLOCK_REALTIME's resolution;
 * any other base returns 0 and leaves ts and errno alone. */
#if defined(__x86_64__)
#define SYS_clock_getres 229
#elif defined(__aarch64__)
#define SYS_clock_getres 114
#else
/* 32-bit: the time32 call, whose timespec is the 32-bit time_t one this function takes (a
 * _TIME_BITS=64 program calls __timespec_getres64, which has no polyfill). */
#define SYS_clock_getres __NR_clock_getres
#endif
struct timespec;
EXPORT int PF(timespec_getres)(struct timespec *ts, int base) {
    if (base == 1) {
        SYSCALL(SYS_clock_getres, 0 /* CLOCK_REALTIME */, ts, 0, 0, 0, 0);
        return base;
    }
    return 0;
}

/* twalk_r: glibc's twalk with a closure. It walks the tree tsearch built, whose nodes
 * start, in every release, with the key and the left and right child pointers (since 2.27
 * the colour is the low bit of a child pointer; before, a field after them), so the walk
 * below reads the old glibc's tree exactly as its own twalk does (misc/tsearch.c). */
typedef enum { preorder, postorder, endorder, leaf } VISIT;
struct node {
    const void *key;
    uintptr_t left, right;
};
#define CHILD(p) ((const struct node *)((p) & ~(uintptr_t)1))
static void recurse(const struct node *root, void (*action)(const void *, VISIT, void *), void *closure) {
    const struct node *l = CHILD(root->left), *r = CHILD(root->right);
    if (!l && !r) {
        action(root, leaf, closure);
        return;
    }
    action(root, preorder, closure);
    if (l)
        recurse(l, action, closure);
    action(root, postorder, closure);
    if (r)
        recurse(r, action, closure);
    action(root, endorder, closure);
}
EXPORT void PF(twalk_r)(const void *root, void (*action)(const void *, VISIT, void *), void *closure) {
    if (root && action)
        recurse(root, action, closure);
}
