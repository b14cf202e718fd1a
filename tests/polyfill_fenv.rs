//! The C23 floating-point environment functions (`polyfill/src/fenv_c23.c`: fegetmode,
//! fesetmode, fesetexcept, fetestexceptflag) and strfromd/strfromf/strfroml
//! (`polyfill/src/strfrom.c`) side by side with glibc's own: `testdata/polyfill/fenv_c23.c`
//! and `testdata/polyfill/strfrom.c`, built on the host, run as built (glibc 2.36's
//! functions); patched to 2.17, they run on the polyfills under 2.36 and under bullseye's
//! 2.31. All outputs must be identical. x86_64 natively; aarch64 cross-compiled, under
//! qemu-user.

mod common;

use common::polyfill::matches_glibc;

const FENV: &[&str] = &["fegetmode", "fesetmode", "fesetexcept", "fetestexceptflag"];

const STRFROM: &[&str] = &[
    "strfromd",
    "strfromf",
    "strfromf32",
    "strfromf64",
    "strfromf32x",
];

#[test]
fn x86_64_strfrom_matches_glibc() {
    let mut polyfilled = STRFROM.to_vec();
    polyfilled.extend(["strfroml", "strfromf64x"]);
    side_by_side("amd64", "strfrom.c", &polyfilled);
}

#[test]
fn aarch64_strfrom_matches_glibc() {
    let mut polyfilled = STRFROM.to_vec();
    polyfilled.extend(["strfroml", "strfromf64x", "strfromf128"]);
    side_by_side("arm64", "strfrom.c", &polyfilled);
}

#[test]
fn x86_64_fenv_matches_glibc() {
    side_by_side("amd64", "fenv_c23.c", FENV);
}

#[test]
fn aarch64_fenv_matches_glibc() {
    side_by_side("arm64", "fenv_c23.c", FENV);
}

fn side_by_side(arch: &str, source: &str, polyfilled: &[&str]) {
    let (lines, _) = matches_glibc(arch, source, &["-fno-builtin"], polyfilled, 500);
    println!(
        "polyfill_fenv: {arch} {source}: {lines} lines identical to glibc 2.36 on 2.36 and 2.31"
    );
}
