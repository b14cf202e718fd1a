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
    ("pidfd_getpid", "read the \"Pid:\" line of /proc/self/fdinfo/FD"),
];

/// The advice for a refused symbol, if any.
pub fn advice(symbol: &str) -> Option<&'static str> {
    ADVICE.iter().find(|(s, _)| *s == symbol).map(|(_, a)| *a)
}

#[cfg(test)]
mod tests {
    #[test]
    fn advice_is_found_by_name() {
        assert!(super::advice("_Fork").is_some_and(|a| a.contains("fork()")));
        assert_eq!(super::advice("memcpy"), None);
    }
}
