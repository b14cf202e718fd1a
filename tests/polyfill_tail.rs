//! The last small polyfills (`polyfill/src/misc_tail.c`) and strfroml on aarch64
//! (`polyfill/src/strfrom.c`), from `testdata/polyfill/misc_tail.c`.
//!
//! Side by side with glibc: c8rtomb and mbrtoc8 (glibc 2.36, in C.UTF-8 and C), strfroml,
//! strfromf64x (and strfromf128 on aarch64). The program is built on the host (2.36) and
//! run unpatched there for the reference; patched to 2.17 and run on the host and on
//! bullseye's 2.31, it must print the same.
//!
//! Against their documented semantics: memset_explicit, __memset_explicit_chk,
//! memalignment, __inet_ntop_chk, __inet_pton_chk (2.42/2.43: no Debian glibc has them),
//! mseal and openat2 (2.43; against the raw system call). The same program with `-DNEW`,
//! linked against stub libraries of glibc 2.43 from the ABI database, checks each result
//! itself (exact values; __chk_fail's abort in a child) and exits 1 on a failure; patched
//! to 2.17 it runs on 2.36 and 2.31, and its side-by-side lines must be the reference's.
//!
//! x86_64 natively; aarch64 cross-compiled, under qemu-user.
//!
//! x86_64's pkey_get and pkey_set (`polyfill/src/pkey.c`, glibc 2.27) side by side with
//! glibc 2.36's own: `testdata/polyfill/pkey.c` (bad keys and rights; on a key from
//! pkey_alloc every rights value set and read back, a tagged page read while writes are
//! disabled).
//!
//! pidfd_getpid (`polyfill/src/pidfd_getpid.c`, glibc 2.39) side by side with trixie's glibc
//! 2.41: `testdata/polyfill/pidfd_getpid.c`, built against trixie's libc and run on its
//! runtime for the reference, patched to 2.17 and run on 2.36 and 2.31.

mod common;

use common::polyfill::{
    build_against_trixie, c_toolchain, matches_glibc, output, patch_to_2_17, run_on,
};

use std::path::Path;
use std::process::Command;

#[test]
fn x86_64_tail_polyfills() {
    tail("amd64");
}

#[test]
fn aarch64_tail_polyfills() {
    tail("arm64");
}

#[test]
fn x86_64_pidfd_getpid_matches_glibc_2_41() {
    pidfd_getpid("amd64");
}

#[test]
fn aarch64_pidfd_getpid_matches_glibc_2_41() {
    pidfd_getpid("arm64");
}

fn pidfd_getpid(arch: &str) {
    let (cc, qemu, sysroot) = c_toolchain(arch);
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("pidfd");
    let new = build_against_trixie(cc, arch, "pidfd_getpid.c", &bin);
    let patched = tmp.path().join("pidfd-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    assert!(plan.contains("polyfill  pidfd_getpid "), "{plan}");
    let under = |glibc: Option<(&str, &str)>, prog: &Path| run_on(qemu, sysroot, glibc, prog);
    let loader = new.loader.display().to_string();
    let reference = under(Some((&loader, &new.libpath)), &bin);
    assert!(reference.contains("the child"), "{reference}");
    let (old_loader, old_libpath) = common::old_runtime(arch);
    assert_eq!(
        under(None, &patched),
        reference,
        "{arch}: the polyfill on glibc 2.36"
    );
    assert_eq!(
        under(Some((&old_loader, &old_libpath)), &patched),
        reference,
        "{arch}: the polyfill on glibc 2.31"
    );
    println!(
        "polyfill_tail: {arch} pidfd_getpid.c: {} lines identical to glibc 2.41's on 2.36 and 2.31",
        reference.lines().count()
    );
}

#[test]
fn x86_64_pkey_matches_glibc() {
    // 9 lines where the CPU has no protection keys (no `pku` in /proc/cpuinfo: pkey_alloc
    // fails, and the invalid keys and rights are still compared), 25 where it has them.
    let (lines, _) = matches_glibc("amd64", "pkey.c", &[], &["pkey_get", "pkey_set"], 9);
    println!("polyfill_tail: amd64 pkey.c: {lines} lines identical to glibc 2.36 on 2.36 and 2.31");
}

/// The polyfills the plan must use: every function the program calls.
fn polyfilled(arch: &str, new: bool) -> Vec<&'static str> {
    let mut v = vec!["c8rtomb", "mbrtoc8"];
    if arch == "arm64" {
        v.extend(["strfroml", "strfromf64x", "strfromf128"]);
    }
    if new {
        v.extend([
            "memset_explicit",
            "__memset_explicit_chk",
            "memalignment",
            "__inet_ntop_chk",
            "__inet_pton_chk",
            "mseal",
            "openat2",
        ]);
    }
    v
}

fn tail(arch: &str) {
    let (cc, qemu, sysroot) = c_toolchain(arch);
    if qemu.is_some()
        && !common::polyfill::tools(
            &[cc, qemu.unwrap_or_default()],
            "gcc-aarch64-linux-gnu qemu-user",
        )
    {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let source = common::crate_root().join("testdata/polyfill/misc_tail.c");
    let under = |glibc: Option<(&str, &str)>, prog: &Path| run_on(qemu, sysroot, glibc, prog);
    let (old_loader, old_libpath) = common::old_runtime(arch);

    // Side by side: built on the host, whose glibc has c8rtomb, mbrtoc8 and strfroml.
    let bin = tmp.path().join("tail");
    let mut c = Command::new(cc);
    c.args(["-O1", "-o"]).arg(&bin).arg(&source);
    output(c);
    let reference = under(None, &bin);
    assert!(
        reference.contains("locale C.UTF-8: set"),
        "no C.UTF-8 locale on the host:\n{reference}"
    );
    let patched = tmp.path().join("tail-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    for f in polyfilled(arch, false) {
        assert!(plan.contains(&format!("polyfill  {f} ")), "{f}: {plan}");
    }
    for (glibc, run) in [
        ("2.36", under(None, &patched)),
        ("2.31", under(Some((&old_loader, &old_libpath)), &patched)),
    ] {
        assert_eq!(
            reference, run,
            "{arch}: the polyfills on glibc {glibc} differ from glibc 2.36's functions"
        );
        println!(
            "polyfill_tail: {arch} on glibc {glibc}: {} lines identical to glibc 2.36's",
            reference.lines().count()
        );
    }

    // The 2.42/2.43 functions, linked against stubs of glibc 2.43.
    let target = elfcompat::abi::db()
        .target_by_name(if arch == "amd64" { "x86_64" } else { "aarch64" })
        .expect("target");
    let release = elfcompat::abi::GlibcVersion::parse("2.43").expect("2.43");
    let stubs = tmp.path().join("stubs-2.43");
    std::fs::create_dir(&stubs).expect("mkdir");
    elfcompat::verify::stubs::write_stubs(target, release, &stubs).expect("stubs");
    let new = tmp.path().join("tail-new");
    let mut c = Command::new(cc);
    c.args(["-O1", "-DNEW", "-o"])
        .arg(&new)
        .arg(&source)
        .arg("-Wl,--no-as-needed,--allow-shlib-undefined")
        .arg(stubs.join("libc.so.6"));
    output(c);
    let patched = tmp.path().join("tail-new-2.17");
    let plan = patch_to_2_17(&new, &patched);
    for f in polyfilled(arch, true) {
        assert!(plan.contains(&format!("polyfill  {f} ")), "{f}: {plan}");
    }
    for (glibc, run) in [
        ("2.36", under(None, &patched)),
        ("2.31", under(Some((&old_loader, &old_libpath)), &patched)),
    ] {
        // run_on requires exit status 0: every check passed (a failed one is on stderr).
        assert!(
            run.starts_with(&reference),
            "{arch} on glibc {glibc}: the side-by-side part differs:\n{run}"
        );
        let checks = &run[reference.len()..];
        println!(
            "polyfill_tail: {arch} -DNEW on glibc {glibc}: {}",
            checks.trim_end().replace('\n', "; ")
        );
    }
}
