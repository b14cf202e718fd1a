/* Data objects of newer releases, with the value that is correct for a glibc that does
 * not have them. */
#include "common.h"

/* glibc 2.32: libstdc++ skips atomic reference counting when this is non-zero. An old
 * glibc never sets it, so the conservative answer is 0: "there may be other threads". */
EXPORT char PF(__libc_single_threaded) = 0;

/* glibc 2.35 registers rseq areas; an old one does not. __rseq_size == 0 is the documented
 * "rseq is not registered" answer, so code built against 2.35 falls back. */
EXPORT long PF(__rseq_offset) = 0;
EXPORT unsigned int PF(__rseq_size) = 0;
EXPORT unsigned int PF(__rseq_flags) = 0;
