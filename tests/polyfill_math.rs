//! The exact libm polyfills (`polyfill/src/math_exact.c`) side by side with glibc's own:
//! `testdata/polyfill/math_exact.c` prints every result as hex bits with errno and the
//! raised exceptions, on signed zeros, subnormals, boundaries, infinities, quiet and
//! signalling NaNs with payloads and pseudo-random bits. Built on the host, it runs as built
//! (glibc 2.36's functions); patched to 2.17, it runs on the polyfills under 2.36 and under
//! bullseye's 2.31. All outputs must be identical. x86_64 natively; aarch64 cross-compiled,
//! under qemu-user.

mod common;

use common::polyfill::{c_toolchain, patch_to_2_17, run_on};

use std::path::Path;
use std::process::Command;

#[test]
fn x86_64_exact_math_matches_glibc() {
    side_by_side("amd64");
}

#[test]
fn aarch64_exact_math_matches_glibc() {
    side_by_side("arm64");
}

fn side_by_side(arch: &str) {
    let (cc, qemu, sysroot) = c_toolchain(arch);
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("math");
    let st = Command::new(cc)
        .args(["-O1", "-o"])
        .arg(&bin)
        .arg(common::crate_root().join("testdata/polyfill/math_exact.c"))
        .arg("-lm")
        .status()
        .expect("gcc");
    assert!(st.success());
    let patched = tmp.path().join("math-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    assert!(plan.contains("fmaximum_mag_num"), "{plan}");
    let under = |old, prog: &Path| run_on(qemu, sysroot, old, prog);
    let reference = under(None, &bin);
    assert!(reference.lines().count() > 100_000);
    assert_eq!(
        under(None, &patched),
        reference,
        "{arch}: polyfills on glibc 2.36"
    );
    let (old_loader, old_libpath) = common::old_runtime(arch);
    assert_eq!(
        under(Some((&old_loader, &old_libpath)), &patched),
        reference,
        "{arch}: polyfills on glibc 2.31"
    );
    println!(
        "polyfill_math: {arch} math_exact.c: {} checks identical to glibc 2.36 on 2.36 and 2.31",
        reference.lines().count()
    );
}
