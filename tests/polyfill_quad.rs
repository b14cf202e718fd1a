//! The binary128 libm polyfills (`polyfill/src/math_quad.c`) side by side with glibc's own:
//! `testdata/polyfill/math_quad.c` prints every result as hex bits with errno and the
//! raised exceptions, on signed zeros, subnormals, boundaries, infinities, quiet and
//! signalling NaNs with payloads and pseudo-random bits, the rounding functions in all four
//! rounding modes. x86_64 calls the `*f128` functions and `__*f128` helpers, aarch64 the
//! long double (`*l`) ones and their `*f64x`/`*f128` names; both the narrowing ops from
//! binary128. Built on the host, it runs as built (glibc 2.36's functions); patched to
//! 2.17, it runs on the polyfills under 2.36 and under bullseye's 2.31. All outputs must be
//! identical. x86_64 natively; aarch64 cross-compiled, under qemu-user.

mod common;

use common::polyfill::matches_glibc;

use std::process::Command;

#[test]
fn x86_64_quad_math_matches_glibc() {
    side_by_side("amd64");
}

#[test]
fn aarch64_quad_math_matches_glibc() {
    side_by_side("arm64");
}

fn side_by_side(arch: &str) {
    let (lines, plan) = matches_glibc(arch, "math_quad.c", &[], &[], 800_000);
    for f in ["f32fmaf128", "totalorder", "fmaximum_num", "roundevenf128"] {
        assert!(plan.contains(f), "{arch}: {f} not in the plan:\n{plan}");
    }
    println!(
        "polyfill_quad: {arch} math_quad.c: {lines} checks identical to glibc 2.36 on 2.36 and 2.31"
    );
}

/// A reference to the value-taking totalorder of glibc 2.25/2.26 (before 2.31's pointer
/// arguments) is never bound to the pointer-argument polyfill: a blocker that says why.
#[test]
fn value_totalorder_is_not_polyfilled() {
    let (dir, src) = (
        tempfile::tempdir().expect("tempdir"),
        "#include <stdio.h>\n\
         extern int tov(_Float128, _Float128);\n\
         __asm__(\".symver tov, totalorderf128@GLIBC_2.26\");\n\
         extern int tovd(double, double);\n\
         __asm__(\".symver tovd, totalorder@GLIBC_2.25\");\n\
         int main(void) { printf(\"%d %d\\n\", tov(1, 2), tovd(1, 2)); return 0; }\n",
    );
    let c = dir.path().join("old.c");
    std::fs::write(&c, src).expect("write");
    let bin = dir.path().join("old");
    let st = Command::new("gcc")
        .arg("-o")
        .arg(&bin)
        .arg(&c)
        .arg("-lm")
        .status()
        .expect("gcc");
    assert!(st.success());
    let o = Command::new(common::bin())
        .args(["patch", "--glibc", "2.17"])
        .arg(&bin)
        .arg("-o")
        .arg(dir.path().join("old-2.17"))
        .output()
        .expect("elfcompat");
    let plan = String::from_utf8_lossy(&o.stdout);
    assert!(!o.status.success(), "{plan}");
    for f in ["totalorder@GLIBC_2.25", "totalorderf128@GLIBC_2.26"] {
        assert!(
            plan.lines()
                .any(|l| l.contains("BLOCKER") && l.contains(f) && l.contains("2.31's meaning")),
            "{f}:\n{plan}"
        );
    }
}
