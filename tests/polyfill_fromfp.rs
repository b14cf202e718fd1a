//! fromfp, fromfpx, ufromfp and ufromfpx (`polyfill/src/fromfp.c`) in both meanings, side by
//! side with glibc (`testdata/polyfill/fromfp.c` prints every result's bits with errno and
//! the raised exceptions, over all rounding directions and widths):
//! - glibc 2.25's (intmax_t result): a program built on the host imports
//!   `fromfp@GLIBC_2.25`; patched to 2.17 it runs on the polyfills, with the output of
//!   glibc 2.36's own functions.
//! - glibc 2.43's (C23: a floating result): no glibc here has it. The program built with
//!   `-DC23` against a stub `libm.so.6` that defines the `GLIBC_2.43` versions imports
//!   `fromfp@GLIBC_2.43`; patched to 2.17 it runs on the other polyfills, and must print
//!   what the same source built with `-DREFERENCE` prints: the C23 meaning composed from
//!   glibc 2.36's rounding functions and its range check.
//!
//! Both under glibc 2.36 and bullseye's 2.31; x86_64 natively (with x87 long double),
//! aarch64 under qemu-user.

mod common;

use common::polyfill::{c_toolchain, patch_to_2_17, run_on};

use std::path::Path;
use std::process::Command;

#[test]
fn x86_64_fromfp_2_25_matches_glibc() {
    glibc_2_25("amd64");
}

#[test]
fn aarch64_fromfp_2_25_matches_glibc() {
    glibc_2_25("arm64");
}

#[test]
fn x86_64_fromfp_2_43_matches_its_c23_meaning() {
    glibc_2_43("amd64", &["", "f", "l"]);
}

#[test]
fn aarch64_fromfp_2_43_matches_its_c23_meaning() {
    glibc_2_43("arm64", &["", "f"]);
}

fn source() -> std::path::PathBuf {
    common::crate_root().join("testdata/polyfill/fromfp.c")
}

fn compile(cc: &str, out: &Path, args: &[&str]) {
    let st = Command::new(cc)
        .args(["-O1", "-fno-builtin", "-o"])
        .arg(out)
        .arg(source())
        .args(args)
        .status()
        .expect("gcc");
    assert!(st.success(), "{cc} {args:?}");
}

/// The patched program's output on glibc 2.36 and 2.31, each required to be `expected`.
fn runs_as(arch: &str, patched: &Path, expected: &str, what: &str) {
    let (_, qemu, sysroot) = c_toolchain(arch);
    assert_eq!(
        run_on(qemu, sysroot, None, patched),
        expected,
        "{arch} {what}: polyfills on glibc 2.36"
    );
    let (old_loader, old_libpath) = common::old_runtime(arch);
    assert_eq!(
        run_on(qemu, sysroot, Some((&old_loader, &old_libpath)), patched),
        expected,
        "{arch} {what}: polyfills on glibc 2.31"
    );
}

fn glibc_2_25(arch: &str) {
    let (cc, qemu, sysroot) = c_toolchain(arch);
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("fromfp");
    compile(cc, &bin, &["-lm"]);
    let patched = tmp.path().join("fromfp-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    assert!(
        plan.contains("ufromfpx") && plan.contains("GLIBC_2.25"),
        "{plan}"
    );
    let reference = run_on(qemu, sysroot, None, &bin);
    assert!(reference.lines().count() > 100_000);
    runs_as(arch, &patched, &reference, "fromfp@GLIBC_2.25");
    println!(
        "polyfill_fromfp: {arch} glibc 2.25 meaning: {} checks identical to glibc 2.36",
        reference.lines().count()
    );
}

fn glibc_2_43(arch: &str, suffixes: &[&str]) {
    let (cc, qemu, sysroot) = c_toolchain(arch);
    let tmp = tempfile::tempdir().expect("tempdir");
    // A stub libm.so.6 with the GLIBC_2.43 versions, to link against (never run).
    let names: Vec<String> = ["fromfp", "fromfpx", "ufromfp", "ufromfpx"]
        .iter()
        .flat_map(|n| suffixes.iter().map(move |s| format!("{n}{s}")))
        .collect();
    let stub_c = tmp.path().join("stub.c");
    let map = tmp.path().join("stub.map");
    let stub_text: String = names
        .iter()
        .map(|n| format!("void {n}(void) {{}}\n"))
        .collect();
    std::fs::write(&stub_c, stub_text).expect("write");
    std::fs::write(
        &map,
        format!(
            "GLIBC_2.43 {{ global: {}; local: *; }};\n",
            names.join("; ")
        ),
    )
    .expect("write");
    let stub = tmp.path().join("libm.so.6");
    let st = Command::new(cc)
        .args(["-shared", "-fPIC", "-nostdlib", "-Wl,-soname,libm.so.6"])
        .arg(format!("-Wl,--version-script={}", map.display()))
        .arg("-o")
        .arg(&stub)
        .arg(&stub_c)
        .status()
        .expect("gcc");
    assert!(st.success());
    let bin = tmp.path().join("fromfp-c23");
    compile(cc, &bin, &["-DC23", stub.to_str().expect("utf-8")]);
    let reference_bin = tmp.path().join("fromfp-c23-reference");
    compile(cc, &reference_bin, &["-DC23", "-DREFERENCE", "-lm"]);
    let patched = tmp.path().join("fromfp-c23-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    for n in &names {
        assert!(
            plan.lines().any(|l| l.split_whitespace().take(3).eq([
                "polyfill",
                n.as_str(),
                "GLIBC_2.43"
            ])),
            "{n}@GLIBC_2.43 not polyfilled: {plan}"
        );
    }
    let reference = run_on(qemu, sysroot, None, &reference_bin);
    assert!(reference.lines().count() > 100_000);
    runs_as(arch, &patched, &reference, "fromfp@GLIBC_2.43");
    println!(
        "polyfill_fromfp: {arch} glibc 2.43 meaning: {} checks identical to the C23 meaning from glibc 2.36's parts",
        reference.lines().count()
    );
}
