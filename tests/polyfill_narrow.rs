//! The narrowing operations (`polyfill/src/math_narrow.c`: fadd ... fsqrt, faddl ... dsqrtl
//! and their `_FloatN` names) side by side with glibc's own: `testdata/polyfill/math_narrow.c`
//! prints every result as hex bits with errno and the raised exceptions, in all four
//! rounding modes, on halfway cases and their neighbours, subnormal and overflowing results,
//! signed zeros, infinities and NaNs with payloads. Likewise the NaN payload functions and
//! the exact x87 long double functions (`polyfill/src/math_payload.c`,
//! `testdata/polyfill/math_payload.c`). Built on the host, it runs as built
//! (glibc 2.36's functions); patched to 2.17, it runs on the polyfills under 2.36 and under
//! bullseye's 2.31. All outputs must be identical. x86_64 natively (with the x87 long
//! double functions); aarch64 cross-compiled, under qemu-user.

mod common;

use common::polyfill::matches_glibc;

#[test]
fn x86_64_narrowing_matches_glibc() {
    let polyfilled = ["fadd", "f32xsqrtf64", "dsqrtl", "f64mulf64x"];
    side_by_side("amd64", "math_narrow.c", &polyfilled);
}

#[test]
fn aarch64_narrowing_matches_glibc() {
    let polyfilled = ["fadd", "ffma", "f32xsqrtf64", "f32mulf32x"];
    side_by_side("arm64", "math_narrow.c", &polyfilled);
}

#[test]
fn x86_64_payload_and_long_double_match_glibc() {
    let polyfilled = [
        "setpayloadsig",
        "getpayloadl",
        "nextupl",
        "fmaximum_mag_numl",
    ];
    side_by_side("amd64", "math_payload.c", &polyfilled);
}

#[test]
fn aarch64_payload_matches_glibc() {
    let polyfilled = ["getpayloadf", "setpayload", "setpayloadsigf32"];
    side_by_side("arm64", "math_payload.c", &polyfilled);
}

fn side_by_side(arch: &str, source: &str, polyfilled: &[&str]) {
    let (lines, _) = matches_glibc(arch, source, &["-fno-builtin"], polyfilled, 50_000);
    println!(
        "polyfill_narrow: {arch} {source}: {lines} checks identical to glibc 2.36 on 2.36 and 2.31"
    );
}
