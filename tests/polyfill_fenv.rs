//! The C23 floating-point environment functions (`polyfill/src/fenv_c23.c`: fegetmode,
//! fesetmode, fesetexcept, fetestexceptflag) and strfromd/strfromf/strfroml
//! (`polyfill/src/strfrom.c`) side by side with glibc's own: `testdata/polyfill/fenv_c23.c`
//! and `testdata/polyfill/strfrom.c`, built on the host, run as built (glibc 2.36's
//! functions); patched to 2.17, they run on the polyfills under 2.36 and under bullseye's
//! 2.31. All outputs must be identical. x86_64 natively; aarch64 cross-compiled, under
//! qemu-user.

mod common;

use common::polyfill::{c_toolchain, patch_to_2_17, run_on};

use std::path::Path;
use std::process::Command;

const FENV: &[&str] = &["fegetmode", "fesetmode", "fesetexcept", "fetestexceptflag"];

const STRFROM: &[&str] = &["strfromd", "strfromf", "strfromf32", "strfromf64"];

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
    let (cc, qemu, sysroot) = c_toolchain(arch);
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("prog");
    let st = Command::new(cc)
        .args(["-O1", "-fno-builtin", "-o"])
        .arg(&bin)
        .arg(common::crate_root().join("testdata/polyfill").join(source))
        .arg("-lm")
        .status()
        .expect("gcc");
    assert!(st.success());
    let patched = tmp.path().join("prog-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    for f in polyfilled {
        assert!(
            plan.lines()
                .any(|l| l.split_whitespace().take(2).eq(["polyfill", *f])),
            "{f} not polyfilled: {plan}"
        );
    }
    let under = |old, prog: &Path| run_on(qemu, sysroot, old, prog);
    let reference = under(None, &bin);
    assert!(reference.lines().count() > 500);
    assert_eq!(
        under(None, &patched),
        reference,
        "{arch} {source}: polyfills on glibc 2.36"
    );
    let (old_loader, old_libpath) = common::old_runtime(arch);
    assert_eq!(
        under(Some((&old_loader, &old_libpath)), &patched),
        reference,
        "{arch} {source}: polyfills on glibc 2.31"
    );
    println!(
        "polyfill_fenv: {arch} {source}: {} lines identical to glibc 2.36 on 2.36 and 2.31",
        reference.lines().count()
    );
}
