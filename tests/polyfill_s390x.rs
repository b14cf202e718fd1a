//! s390x polyfills side by side with glibc's own functions: `testdata/polyfill/
//! side_by_side.c`, `side_by_side_more.c`, `side_by_side_hard.c` (the clock waits and
//! `__cxa_thread_atexit_impl`, with a 64-thread stress loop) and `thread_local.cpp` (C++
//! thread_local destructors, libstdc++ linked statically so that the program imports
//! `__cxa_thread_atexit_impl`, `_dl_find_object` and `__libc_single_threaded` itself)
//! cross-compiled with Debian's `s390x-linux-gnu` compilers against bookworm's libc,
//! patched to 2.17 (the polyfills linked in, big-endian), and run under qemu-s390x with
//! LD_BIND_NOW=1 on bookworm's libc6 (2.36) and on bullseye's 2.31 (from its
//! `libc6-s390x-cross`, tools/old-glibc.sh): the output of the patched program, whose
//! polyfills replace glibc's functions, must on both be that of the program as built, run
//! on 2.36. No glibc 2.17 can be had for s390x, so the patched program's requirements are
//! also checked against 2.17 and 2.31 by the loader in trace mode against stub libraries
//! (`verify --loader-check`).

mod common;

use common::polyfill::{
    assert_loader_check, cross_build, fresh, linked_polyfills, patch_to_2_17, run_qemu,
};

use std::path::Path;

const GCC: &str = "s390x-linux-gnu-gcc";
const GXX: &str = "s390x-linux-gnu-g++";
const QEMU: &str = "qemu-s390x";

/// Build `testdata/polyfill/<source>` (C++ if it ends in `.cpp`) with `flags`, patch it
/// to 2.17 with at least `min_linked` polyfills, `polyfilled` among them, check the
/// loader at 2.17 and 2.31, and compare the runs on 2.36 and 2.31 with the unpatched
/// program's on 2.36; the reference output, or None
/// when the tools are missing outside CI.
fn side_by_side(
    source: &str,
    flags: &[&str],
    polyfilled: &[&str],
    min_linked: usize,
) -> Option<String> {
    if !common::polyfill::tools(
        &[GCC, GXX, QEMU],
        "gcc-s390x-linux-gnu g++-s390x-linux-gnu qemu-user",
    ) {
        return None;
    }
    let cc = if source.ends_with(".cpp") { GXX } else { GCC };
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("sbs");
    cross_build(cc, source, flags, &["-pthread"], &bin);
    let patched = tmp.path().join("sbs-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    let linked = linked_polyfills(&plan);
    assert!(
        linked.len() >= min_linked && polyfilled.iter().all(|f| linked.contains(f)),
        "expected the polyfills to be linked:\n{plan}"
    );
    let linked = linked.len();
    for glibc in ["2.17", "2.31"] {
        assert_loader_check(&patched, glibc);
    }
    let new = common::fetch_old_runtime("bookworm", "s390x").unwrap_or_else(|e| panic!("{e}"));
    let old = common::fetch_old_runtime("bullseye", "s390x").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (new.glibc_version.as_str(), old.glibc_version.as_str()),
        ("2.36", "2.31")
    );
    let on = |rt, prog: &Path, dir: &str| run_qemu(QEMU, rt, prog, &fresh(tmp.path(), dir));
    let reference = on(&new, &bin, "a");
    assert_eq!(
        on(&new, &patched, "b"),
        reference,
        "s390x polyfills on glibc 2.36"
    );
    assert_eq!(
        on(&old, &patched, "c"),
        reference,
        "s390x polyfills on glibc 2.31"
    );
    println!(
        "polyfill: s390x {source} patched to 2.17: {linked} polyfills, {} checks identical to glibc 2.36 on 2.36 and 2.31; loader check at 2.17 and 2.31",
        reference.lines().count()
    );
    Some(reference)
}

#[test]
fn s390x_polyfills_match_glibc() {
    side_by_side("side_by_side.c", &[], &[], 30);
}

#[test]
fn s390x_more_polyfills_match_glibc() {
    side_by_side("side_by_side_more.c", &[], &[], 40);
}

#[test]
fn s390x_thread_polyfills_match_glibc() {
    let Some(out) = side_by_side(
        "side_by_side_hard.c",
        &[],
        &[
            "__cxa_thread_atexit_impl",
            "pthread_cond_clockwait",
            "pthread_mutex_clocklock",
            "pthread_rwlock_clockrdlock",
            "pthread_rwlock_clockwrlock",
            "sem_clockwait",
            "pthread_clockjoin_np",
        ],
        7,
    ) else {
        return;
    };
    assert!(
        out.contains(
            "stress: counters 64000 64000 64000 (want 64000) destructor orders all cbla: 1"
        ),
        "{out}"
    );
    assert!(out.contains("main destructors at exit: bla"), "{out}");
}

#[test]
fn s390x_cxx_thread_local_destructors_match_glibc() {
    let Some(out) = side_by_side(
        "thread_local.cpp",
        &["-static-libstdc++", "-static-libgcc"],
        &[
            "__cxa_thread_atexit_impl",
            "_dl_find_object",
            "__libc_single_threaded",
        ],
        3,
    ) else {
        return;
    };
    assert!(out.contains("counted 32 thread_local destructors"), "{out}");
    assert!(
        out.ends_with("~first 100\n~global (static storage, constructed before main)\n"),
        "{out}"
    );
}
