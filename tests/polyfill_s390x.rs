//! s390x polyfills side by side with glibc's own functions: `testdata/polyfill/
//! side_by_side.c` and `side_by_side_more.c` cross-compiled with Debian's
//! `s390x-linux-gnu-gcc` against bookworm's libc, patched to 2.17 (the polyfills linked
//! in, big-endian), and run under qemu-s390x with bookworm's libc6 (2.36), LD_BIND_NOW=1:
//! the output of the patched program, whose polyfills replace glibc's functions, must be
//! that of the program as built. No glibc older than 2.36 can be had for s390x (Debian's
//! mirrors dropped bullseye's s390x packages), so the patched program's requirements are
//! checked against glibc 2.17 and 2.31 by the loader in trace mode against stub libraries
//! (`verify --loader-check`) instead of a run.

mod common;

use common::polyfill::{output, patch_to_2_17};

use std::path::Path;
use std::process::Command;

const GCC: &str = "s390x-linux-gnu-gcc";
const QEMU: &str = "qemu-s390x";

fn fresh(dir: &Path, name: &str) -> std::path::PathBuf {
    let d = dir.join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("mkdir");
    d
}

fn side_by_side(source: &str, min_linked: usize) {
    if !common::polyfill::tools(&[GCC, QEMU], "gcc-s390x-linux-gnu qemu-user") {
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let bin = tmp.path().join("sbs");
    let st = Command::new(GCC)
        .args(["-O1", "-w", "-o"])
        .arg(&bin)
        .arg(common::crate_root().join("testdata/polyfill").join(source))
        .arg("-lresolv")
        .status()
        .expect("cross compiler");
    assert!(st.success(), "{GCC} {source}");
    let patched = tmp.path().join("sbs-2.17");
    let plan = patch_to_2_17(&bin, &patched);
    let linked = plan
        .lines()
        .filter(|l| l.trim_start().starts_with("polyfill") && l.contains("linked in"))
        .count();
    assert!(
        linked >= min_linked,
        "expected the polyfills to be linked:\n{plan}"
    );
    for glibc in ["2.17", "2.31"] {
        let o = Command::new(common::bin())
            .args(["verify", "--glibc", glibc, "--loader-check"])
            .arg(&patched)
            .output()
            .expect("elfcompat");
        assert!(
            o.status.success(),
            "loader check at {glibc}: {}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let rt = common::fetch_old_runtime("bookworm", "s390x").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rt.glibc_version, "2.36");
    let on = |prog: &Path, dir: &str| {
        let mut c = Command::new(QEMU);
        c.args(["-E", "LD_BIND_NOW=1"])
            .arg(&rt.loader)
            .args(["--inhibit-cache", "--library-path", &rt.libpath])
            .arg(prog)
            .arg(fresh(tmp.path(), dir));
        output(c)
    };
    let reference = on(&bin, "a");
    assert_eq!(
        on(&patched, "b"),
        reference,
        "s390x polyfills on glibc 2.36"
    );
    println!(
        "polyfill: s390x {source} patched to 2.17: {linked} polyfills, {} checks identical to glibc 2.36; loader check at 2.17 and 2.31",
        reference.lines().count()
    );
}

#[test]
fn s390x_polyfills_match_glibc() {
    side_by_side("side_by_side.c", 30);
}

#[test]
fn s390x_more_polyfills_match_glibc() {
    side_by_side("side_by_side_more.c", 40);
}
