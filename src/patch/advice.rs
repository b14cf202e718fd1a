//! What to do instead, for blockers elfcompat refuses to polyfill because no polyfill could
//! be sound (it would need glibc's internals, or the kernel feature is the point): appended
//! to the blocker's reason. One line per symbol; a symbol not listed gets no advice.

/// (symbol, advice) for glibc functions refused on purpose.
const ADVICE: &[(&str, &str)] = &[
    ("_Fork", "use fork(): _Fork skips the atfork handlers and malloc's locking, which an older glibc cannot skip from outside"),
    ("posix_spawn_file_actions_addchdir_np", "change directory in the child of fork()+exec, or spawn through a shell (sh -c 'cd DIR && exec PROG')"),
    ("posix_spawn_file_actions_addfchdir_np", "fchdir in the child of fork()+exec: an older posix_spawn cannot run it"),
    ("posix_spawn_file_actions_addclosefrom_np", "mark descriptors O_CLOEXEC (or close them after fork()) instead"),
    ("posix_spawn_file_actions_addtcsetpgrp_np", "call tcsetpgrp in the child of fork()+exec instead"),
    ("pidfd_spawn", "posix_spawn, then pidfd_open(pid) (polyfilled): the pid can be reused in between unless the child stays unwaited"),
    ("pidfd_spawnp", "posix_spawnp, then pidfd_open(pid) (polyfilled): the pid can be reused in between unless the child stays unwaited"),
    ("pthread_attr_setsigmask_np", "block the signals with pthread_sigmask around pthread_create, and restore the mask after"),
    ("pthread_attr_getsigmask_np", "keep the mask beside the attribute in the program"),
    ("__x86_get_cpuid_feature_leaf", "use <cpuid.h>'s __get_cpuid_count, or __builtin_cpu_supports, instead of glibc's cpu feature data"),
    ("pthread_gettid_np", "have the thread call gettid() (polyfilled) itself and publish its id"),
];

/// (symbol, advice) for functions elfcompat has no polyfill of yet, where the program can
/// do without: what to call instead.
const INSTEAD: &[(&str, &str)] = &[
    ("pthread_getattr_default_np", "glibc 2.18's process-wide default thread attributes act inside pthread_create: keep an attribute in the program and pass it to every pthread_create"),
    ("pthread_setattr_default_np", "glibc 2.18's process-wide default thread attributes act inside pthread_create: keep an attribute in the program and pass it to every pthread_create"),
    ("posix_spawnattr_getcgroup_np", "keep the cgroup beside the attribute in the program"),
    ("posix_spawnattr_setcgroup_np", "spawning into a cgroup happens inside posix_spawn (clone3 with CLONE_INTO_CGROUP): fork(), write the child's pid to the cgroup's cgroup.procs, then exec"),
    ("_mcount", "the profiling hook of code compiled with -pg: build the release without -pg"),
    ("memset_explicit", "use explicit_bzero (polyfilled) to clear, or memset followed by asm volatile(\"\" ::: \"memory\")"),
    ("__memset_explicit_chk", "from _FORTIFY_SOURCE over memset_explicit: use explicit_bzero (polyfilled) to clear"),
    ("memalignment", "compute it: (uintptr_t)p & -(uintptr_t)p (0 for a null pointer)"),
    ("mseal", "call syscall(SYS_mseal, addr, len, 0) (ENOSYS before Linux 6.10)"),
    ("openat2", "call syscall(SYS_openat2, dirfd, path, &how, sizeof how) (ENOSYS before Linux 5.6)"),
    ("c8rtomb", "convert UTF-8 to char32_t in the program and call c32rtomb"),
    ("mbrtoc8", "call mbrtoc32 and encode the char32_t as UTF-8 in the program"),
    ("__inet_ntop_chk", "from _FORTIFY_SOURCE over inet_ntop: build that file with -U_FORTIFY_SOURCE or -D_FORTIFY_SOURCE=0"),
    ("__inet_pton_chk", "from _FORTIFY_SOURCE over inet_pton: build that file with -U_FORTIFY_SOURCE or -D_FORTIFY_SOURCE=0"),
    ("pidfd_getpid", "read the \"Pid:\" line of /proc/self/fdinfo/FD, as glibc does"),
];

/// pkey_get/pkey_set are polyfilled on x86_64 (PKRU); where they are not, by architecture.
const PKEY_X86: &str = "read or write the protection key register with _rdpkru_u32()/_wrpkru() (<immintrin.h>, -mpku) after pkey_alloc succeeded";
const PKEY_OTHER: &str = "the protection keys' rights live in a register only glibc 2.42 reads on aarch64 (POR_EL0; before, glibc's pkey_get failed with ENOSYS): keep the baseline at 2.42, or treat the keys as unavailable, as a failed pkey_alloc already tells the program";

/// The advice for a refused symbol, if any.
pub fn advice(symbol: &str) -> Option<&'static str> {
    ADVICE.iter().find(|(s, _)| *s == symbol).map(|(_, a)| *a)
}

/// What to do instead, for a blocker elfcompat has no polyfill of on `target` (none sound
/// yet, though one could be): by name, else by class.
pub fn instead(symbol: &str, target: &str, since: &str) -> Option<String> {
    if let Some((_, a)) = INSTEAD.iter().find(|(s, _)| *s == symbol) {
        return Some(a.to_string());
    }
    if symbol == "pkey_get" || symbol == "pkey_set" {
        let x86 = target.starts_with("x86_64") || target.starts_with("x86-");
        return Some(if x86 { PKEY_X86 } else { PKEY_OTHER }.to_string());
    }
    let quad = symbol.contains("f128");
    if quad && target.starts_with("x86_64") {
        return Some(format!(
            "x86_64's _Float128 functions other than the exact operations would need a \
             quad-precision libm, which elfcompat does not carry: compute in long double, use \
             GCC's libquadmath linked statically (-l:libquadmath.a: expq, strtoflt128, \
             quadmath_snprintf ...), or keep the baseline at glibc {since}"
        ));
    }
    let binary128 = quad || symbol.ends_with("f64x") || symbol.ends_with('l');
    if binary128 && target.starts_with("aarch64") {
        return Some(format!(
            "polyfilled for float and double; aarch64's long double is binary128, which this \
             function's polyfill does not cover yet: call the double version, or keep the \
             baseline at glibc {since}"
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn advice_is_found_by_name() {
        assert!(super::advice("_Fork").is_some_and(|a| a.contains("fork()")));
        assert_eq!(super::advice("memcpy"), None);
    }

    #[test]
    fn instead_by_name_and_class() {
        use super::instead;
        assert!(
            instead("mseal", "x86_64-linux-gnu", "2.41").is_some_and(|a| a.contains("SYS_mseal"))
        );
        assert!(instead("expf128", "x86_64-linux-gnu", "2.26")
            .is_some_and(|a| a.contains("libquadmath")));
        assert!(
            instead("sinpil", "aarch64-linux-gnu", "2.41").is_some_and(|a| a.contains("binary128"))
        );
        assert_eq!(instead("sinpil", "x86_64-linux-gnu", "2.41"), None);
        assert_eq!(instead("memcpy", "x86_64-linux-gnu", "2.14"), None);
        assert!(instead("pkey_get", "x86-linux-gnu", "2.27").is_some_and(|a| a.contains("rdpkru")));
        assert!(
            instead("pkey_set", "aarch64-linux-gnu", "2.27").is_some_and(|a| a.contains("POR_EL0"))
        );
    }
}
