//! The exact libm polyfills (`polyfill/src/math_exact.c`) side by side with glibc's own:
//! `testdata/polyfill/math_exact.c` prints every result as hex bits with errno and the
//! raised exceptions, on signed zeros, subnormals, boundaries, infinities, quiet and
//! signalling NaNs with payloads and pseudo-random bits. Built on the host, it runs as built
//! (glibc 2.36's functions); patched to 2.17, it runs on the polyfills under 2.36 and under
//! bullseye's 2.31. All outputs must be identical. x86_64 natively; aarch64 cross-compiled,
//! under qemu-user.

mod common;

use common::polyfill::matches_glibc;

#[test]
fn x86_64_exact_math_matches_glibc() {
    side_by_side("amd64");
}

#[test]
fn aarch64_exact_math_matches_glibc() {
    side_by_side("arm64");
}

fn side_by_side(arch: &str) {
    let (lines, plan) = matches_glibc(arch, "math_exact.c", &[], &[], 100_000);
    assert!(plan.contains("fmaximum_mag_num"), "{plan}");
    println!(
        "polyfill_math: {arch} math_exact.c: {lines} checks identical to glibc 2.36 on 2.36 and 2.31"
    );
}
