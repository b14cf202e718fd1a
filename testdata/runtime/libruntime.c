/* A shared library with its own constructor and destructor, loaded through DT_NEEDED
   by shlib_main.c. It uses pthread_* and dl* (GLIBC_2.34 when linked today) itself, so
   patching it moves symbols to libpthread.so.0 / libdl.so.2 as well: new strings and
   version records, so its tables move to a new segment and its program header table with
   them. lib_phdrs_ok checks, through dl_iterate_phdr (what unwinders use to find
   PT_GNU_EH_FRAME), that the loader still sees that table. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <stdio.h>

static int lib_ctor_runs;
static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;

__attribute__((constructor)) static void lib_ctor(void) {
    lib_ctor_runs++;
    printf("libruntime constructor\n");
}

__attribute__((destructor)) static void lib_dtor(void) {
    printf("libruntime destructor (ctor runs %d)\n", lib_ctor_runs);
    fflush(stdout);
}

static void *square(void *arg) {
    long v = (long)arg;
    return (void *)(v * v);
}

int lib_ctor_count(void) {
    return lib_ctor_runs;
}

long lib_compute(long v) {
    pthread_t t;
    void *ret = 0;
    pthread_mutex_lock(&lib_lock);
    if (pthread_create(&t, 0, square, (void *)v) != 0) {
        pthread_mutex_unlock(&lib_lock);
        return -1;
    }
    pthread_join(t, &ret);
    pthread_mutex_unlock(&lib_lock);
    return (long)ret;
}

const char *lib_find(const char *sym) {
    return dlsym(RTLD_DEFAULT, sym) ? "found" : "missing";
}

static struct dl_phdr_info self_info;

static int find_self(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    ElfW(Addr) self = (ElfW(Addr))data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type == PT_LOAD && self >= info->dlpi_addr + p->p_vaddr &&
            self < info->dlpi_addr + p->p_vaddr + p->p_memsz) {
            self_info = *info;
            return 1;
        }
    }
    return 0;
}

/* "ok" when the program headers the loader reports for this library (dl_iterate_phdr,
   what an unwinder uses to find PT_GNU_EH_FRAME) are the file's own table, entry for
   entry. */
const char *lib_phdrs(void) {
    Dl_info where;
    if (!dladdr((void *)lib_phdrs, &where) || !where.dli_fname)
        return "dladdr failed";
    if (!dl_iterate_phdr(find_self, (void *)(ElfW(Addr))lib_phdrs))
        return "no PT_LOAD maps the library's code";
    int fd = open(where.dli_fname, O_RDONLY);
    if (fd < 0)
        return "cannot open the library file";
    ElfW(Ehdr) eh;
    static ElfW(Phdr) table[64];
    const char *verdict = "ok";
    if (pread(fd, &eh, sizeof eh, 0) != (ssize_t)sizeof eh || eh.e_phnum > 64)
        verdict = "cannot read the ELF header";
    else if (eh.e_phnum != self_info.dlpi_phnum)
        verdict = "the loader reports another number of program headers";
    else if (pread(fd, table, eh.e_phnum * sizeof table[0], eh.e_phoff) !=
             (ssize_t)(eh.e_phnum * sizeof table[0]))
        verdict = "cannot read the program headers";
    else if (memcmp(table, self_info.dlpi_phdr, eh.e_phnum * sizeof table[0]) != 0)
        verdict = "the loader's program headers differ from the file's";
    close(fd);
    return verdict;
}
