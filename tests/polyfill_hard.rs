//! The thread polyfills side by side with glibc: `testdata/polyfill/side_by_side_hard.c`
//! (`__cxa_thread_atexit_impl` of 2.18 and the clock waits of 2.30, with a stress loop of 64
//! threads x 1000 iterations) and `testdata/polyfill/thread_local.cpp` (C++ thread_local
//! destructors in several threads and main, linked with -static-libstdc++ so that the program
//! imports `__cxa_thread_atexit_impl` itself). Each is built on the host (glibc 2.36) and run
//! as built for the reference; patched to 2.17, it runs with the polyfills on 2.36, on
//! bullseye's 2.31 and on trixie's 2.41. All outputs must be identical. x86_64 natively; aarch64
//! cross-compiled, under qemu-user. Helpers follow tests/polyfill.rs.

mod common;

use common::polyfill::{build_against_trixie, patch_to_2_17, run_on};

use std::path::Path;
use std::process::Command;

/// The compiler, qemu (None: native) and cross sysroot for a Debian architecture name, or
/// None when the cross tools are missing.
fn toolchain(arch: &str, cxx: bool) -> Option<(&'static str, Option<&'static str>)> {
    match (arch, cxx) {
        ("amd64", false) => Some(("gcc", None)),
        ("amd64", true) => Some(("g++", None)),
        (_, cxx) => {
            let cc = if cxx {
                "aarch64-linux-gnu-g++"
            } else {
                "aarch64-linux-gnu-gcc"
            };
            if !common::polyfill::tools(
                &[cc, "qemu-aarch64"],
                "gcc-aarch64-linux-gnu g++-aarch64-linux-gnu qemu-user",
            ) {
                return None;
            }
            Some((cc, Some("qemu-aarch64")))
        }
    }
}

/// Build `source` for `arch`, patch it to 2.17 and compare the three runs; the plan must
/// link every polyfill named in `expect`. Returns the reference output.
fn side_by_side(arch: &str, source: &str, flags: &[&str], expect: &[&str]) -> Option<String> {
    let (cc, qemu) = toolchain(arch, source.ends_with(".cpp"))?;
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("prog");
    let st = Command::new(cc)
        .args(["-O1", "-pthread"])
        .args(flags)
        .arg("-o")
        .arg(&bin)
        .arg(common::crate_root().join("testdata/polyfill").join(source))
        .status()
        .expect("compiler");
    assert!(st.success());
    let patched = tmp.path().join("prog-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    for name in expect {
        assert!(
            plan.lines()
                .any(|l| l.trim_start().starts_with("polyfill") && l.contains(&format!(" {name} "))),
            "{name} is not polyfilled:\n{plan}"
        );
    }
    let run = |prog: &Path, old| run_on(qemu, "/usr/aarch64-linux-gnu", old, prog);
    let reference = run(&bin, None);
    assert_eq!(
        run(&patched, None),
        reference,
        "{arch} {source}: glibc 2.36"
    );
    let (loader, libpath) = common::old_runtime(arch);
    assert_eq!(
        run(&patched, Some((&loader, &libpath))),
        reference,
        "{arch} {source}: glibc 2.31"
    );
    // And on trixie's 2.41, whose pthread_cond_t keeps the clock elsewhere (the polyfill of
    // pthread_cond_clockwait must find it there too).
    let new = common::fetch_old_runtime("trixie", arch).unwrap_or_else(|e| panic!("{e}"));
    let loader = new.loader.display().to_string();
    assert_eq!(
        run(&patched, Some((&loader, &new.libpath))),
        reference,
        "{arch} {source}: glibc 2.41"
    );
    println!(
        "polyfill_hard: {arch} {source}: {} lines identical to glibc 2.36 on 2.36, 2.31 and 2.41",
        reference.lines().count()
    );
    Some(reference)
}

const CLOCK_WAITS: &[&str] = &[
    "__cxa_thread_atexit_impl",
    "pthread_cond_clockwait",
    "pthread_mutex_clocklock",
    "pthread_rwlock_clockrdlock",
    "pthread_rwlock_clockwrlock",
    "sem_clockwait",
    "pthread_clockjoin_np",
];

fn threads(arch: &str) {
    let Some(out) = side_by_side(arch, "side_by_side_hard.c", &[], CLOCK_WAITS) else {
        return;
    };
    // The reference itself shows what is compared: timeouts, EINVAL, the stress totals.
    assert!(
        out.contains(
            "stress: counters 64000 64000 64000 (want 64000) destructor orders all cbla: 1"
        ),
        "{out}"
    );
    assert!(out.contains("main destructors at exit: bla"), "{out}");
}

#[test]
fn x86_64_thread_polyfills_match_glibc() {
    threads("amd64");
}

#[test]
fn aarch64_thread_polyfills_match_glibc() {
    threads("arm64");
}

fn thread_local(arch: &str) {
    let flags = ["-static-libstdc++", "-static-libgcc"];
    let Some(out) = side_by_side(
        arch,
        "thread_local.cpp",
        &flags,
        &["__cxa_thread_atexit_impl"],
    ) else {
        return;
    };
    assert!(out.contains("counted 32 thread_local destructors"), "{out}");
    assert!(
        out.ends_with("~first 100\n~global (static storage, constructed before main)\n"),
        "{out}"
    );
}

#[test]
fn x86_64_cxx_thread_local_destructors_match_glibc() {
    thread_local("amd64");
}

#[test]
fn aarch64_cxx_thread_local_destructors_match_glibc() {
    thread_local("arm64");
}

/// sched_getattr and sched_setattr (glibc 2.41, newer than the host's 2.36): linked against
/// trixie's libc.so.6 and run under its loader for the reference, then patched to 2.17 and
/// run on 2.36 and bullseye's 2.31 (as tests/polyfill.rs does for the stdc_* functions).
fn sched(arch: &str) {
    let Some((cc, qemu)) = toolchain(arch, false) else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("sched");
    let new = build_against_trixie(cc, arch, "side_by_side_sched.c", &bin);
    let patched = tmp.path().join("sched-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    assert!(plan.contains("polyfill  sched_getattr"), "{plan}");
    let run = |prog: &Path, old| run_on(qemu, "/usr/aarch64-linux-gnu", old, prog);
    let loader = new.loader.display().to_string();
    let reference = run(&bin, Some((&loader, &new.libpath)));
    assert!(
        reference.contains("getattr self: 0 errno=0 size=48"),
        "{reference}"
    );
    assert_eq!(run(&patched, None), reference, "{arch}: glibc 2.36");
    let (old_loader, old_libpath) = common::old_runtime(arch);
    assert_eq!(
        run(&patched, Some((&old_loader, &old_libpath))),
        reference,
        "{arch}: glibc 2.31"
    );
    println!(
        "polyfill_hard: {arch} side_by_side_sched.c: {} lines identical to glibc 2.41 on 2.36 and 2.31",
        reference.lines().count()
    );
}

#[test]
fn x86_64_sched_attr_polyfills_match_glibc_2_41() {
    sched("amd64");
}

#[test]
fn aarch64_sched_attr_polyfills_match_glibc_2_41() {
    sched("arm64");
}
