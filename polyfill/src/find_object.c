/* glibc 2.35's _dl_find_object, which libgcc's unwinder calls to find the unwind tables of
 * the object containing a PC (C++ exceptions, backtraces). Built on dl_iterate_phdr, which
 * every release has: the PT_LOAD range of the object and its PT_GNU_EH_FRAME. */
#include "common.h"

#if __SIZEOF_LONG__ == 8
struct dl_phdr {
    uint32_t p_type, p_flags;
    unsigned long p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};
#else
/* Elf32_Phdr: p_flags comes after p_memsz. */
struct dl_phdr {
    uint32_t p_type;
    unsigned long p_offset, p_vaddr, p_paddr, p_filesz, p_memsz;
    uint32_t p_flags;
    unsigned long p_align;
};
#endif
/* The segment glibc reports as dlfo_eh_frame (DLFO_EH_SEGMENT_TYPE): arm's unwinder reads
 * the EHABI index table (PT_ARM_EXIDX), every other architecture PT_GNU_EH_FRAME. */
#if defined(__arm__)
#define EH_SEGMENT 0x70000001
#else
#define EH_SEGMENT 0x6474e550
#endif
struct dl_phdr_info {
    unsigned long dlpi_addr;
    const char *dlpi_name;
    const struct dl_phdr *dlpi_phdr;
    unsigned short dlpi_phnum;
};
struct dl_find_object {
    unsigned long long dlfo_flags;
    void *dlfo_map_start;
    void *dlfo_map_end;
    void *dlfo_link_map;
    void *dlfo_eh_frame;
    unsigned long long reserved[7];
};
typedef struct {
    const char *dli_fname;
    void *dli_fbase;
    const char *dli_sname;
    void *dli_saddr;
} Dl_info;

extern int dl_iterate_phdr(int (*)(struct dl_phdr_info *, size_t, void *), void *);
extern int dladdr1(const void *, Dl_info *, void **, int);

struct query {
    unsigned long pc;
    struct dl_find_object *out;
    int found;
};

static int visit(struct dl_phdr_info *info, size_t size, void *data) {
    struct query *q = data;
    unsigned long lo = -1UL, hi = 0, eh = 0;
    int inside = 0;
    (void)size;
    for (unsigned i = 0; i < info->dlpi_phnum; i++) {
        const struct dl_phdr *ph = &info->dlpi_phdr[i];
        unsigned long start = info->dlpi_addr + ph->p_vaddr;
        if (ph->p_type == 1 /* PT_LOAD */) {
            if (start < lo)
                lo = start;
            if (start + ph->p_memsz > hi)
                hi = start + ph->p_memsz;
            if (q->pc >= start && q->pc < start + ph->p_memsz)
                inside = 1;
        } else if (ph->p_type == EH_SEGMENT) {
            eh = start;
        }
    }
    if (!inside)
        return 0;
    q->out->dlfo_flags = 0;
    q->out->dlfo_map_start = (void *)lo;
    q->out->dlfo_map_end = (void *)hi;
    q->out->dlfo_eh_frame = (void *)eh;
    q->found = 1;
    return 1;
}

EXPORT int PF(_dl_find_object)(void *pc, struct dl_find_object *result) {
    struct query q = {(unsigned long)pc, result, 0};
    dl_iterate_phdr(visit, &q);
    if (!q.found)
        return -1;
    Dl_info info;
    void *map = 0;
    if (dladdr1(pc, &info, &map, 2 /* RTLD_DL_LINKMAP */))
        result->dlfo_link_map = map;
    else
        result->dlfo_link_map = 0;
    return 0;
}
