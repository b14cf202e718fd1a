//! Rust programs on the other architectures: `testdata/runtime/rust_main.rs` (std's argv
//! capture from `.init_array`, a named thread, file I/O with a stat, a panic caught with
//! `catch_unwind` and one that ends a joined thread) cross-compiled at test time with a
//! rustup-free Rust from Debian's packages (`tools/rust-cross.sh`, fetched by `.ci/run`):
//!
//! - arm64, i386, armhf, ppc64el, s390x: bookworm's amd64 rustc 1.63 with bookworm's
//!   `libstd-rust-dev` of the architecture, linked by Debian 12's cross gcc (glibc 2.36).
//!   The unpatched program runs on bookworm's libc6 of the architecture (2.36) with exit
//!   code 5 and the expected lines, and fails on bullseye's (2.31) for `GLIBC_2.34`;
//!   patched to 2.31 it passes `verify --loader-check` and runs under qemu-user on both,
//!   LD_BIND_NOW=1 and lazily, with the exit code and stdout of the unpatched program
//!   on 2.36.
//! - riscv64 (no Debian glibc older than trixie's 2.41): trixie's amd64 rustc 1.85 run
//!   through trixie's own loader, with trixie's riscv64 `libstd-rust-dev`. Patched to 2.27,
//!   riscv64's first glibc: `verify --loader-check` at 2.27 passes (and fails on the
//!   unpatched program), and the patched program runs on trixie's 2.41 like the unpatched.
//!
//! The runtimes come from `tools/old-glibc.sh`, the compilers' linkers and qemu from
//! `.ci/run`'s package list: a missing one fails the test.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::cross::{self, Arch, Run, AARCH64, ARMHF, I386, PPC64EL, RISCV64, S390X};

const ARGS: &[&str] = &["alpha", "beta gamma"];

/// `rust_main.rs` exits with 5 when it worked.
const CODE: i32 = 5;

/// What `rust_main.rs` prints with [`ARGS`], whatever the architecture.
const EXPECTED: &[&str] = &[
    "args: 3",
    "arg[1] = alpha",
    "arg[2] = beta gamma",
    "thread \"worker\" computed 4501500",
    "joined: 0,1,2,3,4",
    "file: 17 bytes, read back true",
    "caught panic: index out of bounds: the len is 0 but the index is 3",
    "thread panicked: worker gave up after 3",
];

/// A Debian Rust cross compiler prepared by `tools/rust-cross.sh`.
struct Rustc {
    /// The wrapper that runs it with `--sysroot`, `--target` and `-C linker=`.
    rustc: PathBuf,
    target: String,
    release: String,
    suite: String,
}

/// `tools/rust-cross.sh ARCH`, which must succeed, and what its `.env` file says.
fn rustc_for(arch: &Arch) -> Rustc {
    let script = common::crate_root().join("tools/rust-cross.sh");
    let o = Command::new(&script)
        .arg(arch.debian)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
    assert!(
        o.status.success(),
        "tools/rust-cross.sh {}: {}",
        arch.debian,
        String::from_utf8_lossy(&o.stderr)
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    let env_file = stdout.lines().last().expect("the .env path").trim();
    let text = std::fs::read_to_string(env_file).expect("the .env file");
    let field = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(|v| v.trim_matches('\'').to_string())
            .unwrap_or_else(|| panic!("{env_file}: no {key}"))
    };
    Rustc {
        rustc: PathBuf::from(field("RUSTC")),
        target: field("TARGET"),
        release: field("RUST_RELEASE"),
        suite: field("SUITE"),
    }
}

/// `rust_main.rs` compiled with `rc` (`-O`, edition 2021) into `dir/rust`.
fn build(rc: &Rustc, dir: &Path) -> PathBuf {
    let exe = dir.join("rust");
    let source = cross::testdata().join("runtime/rust_main.rs");
    cross::compile(
        rc.rustc.to_str().expect("UTF-8 path"),
        &[
            "-O".as_ref(),
            "--edition".as_ref(),
            "2021".as_ref(),
            "-o".as_ref(),
            exe.as_os_str(),
            source.as_os_str(),
        ],
    );
    exe
}

/// The run is the program's success: exit code 5 and exactly the lines of [`EXPECTED`].
#[track_caller]
fn assert_worked(r: &Run, what: &str) {
    assert_eq!(
        (r.code, r.stdout.lines().collect::<Vec<_>>()),
        (Some(CODE), EXPECTED.to_vec()),
        "{what}: {}",
        r.stderr
    );
}

/// The plan's polyfills and wrappers, by name, each once.
fn linked(plan: &str) -> Vec<&str> {
    let mut names = Vec::new();
    for l in plan.lines() {
        let mut w = l.split_whitespace();
        if let (Some("polyfill" | "wrapper"), Some(name)) = (w.next(), w.next()) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// The patched `out` runs on `rt` with `reference`'s exit code and stdout, LD_BIND_NOW=1
/// and lazily.
fn assert_runs_like(arch: &Arch, rt: &common::OldRuntime, out: &Path, reference: &Run, what: &str) {
    for env in [&["LD_BIND_NOW=1"][..], &[]] {
        let r = cross::run_env(arch, rt, out, ARGS, env);
        cross::assert_same_run(&r, reference, &format!("{what} {env:?}"));
    }
}

/// Build `rust_main.rs` for `arch`, run it unpatched on bookworm's 2.36 (the reference)
/// and bullseye's 2.31 (must fail), patch it to 2.31 and run it on both; returns the
/// summary line.
fn rust_runs_patched_on_2_31(arch: &Arch) -> String {
    let rc = rustc_for(arch);
    let (old, new) = cross::bullseye_and_bookworm(arch);
    let work = cross::Workdir::new();
    let exe = build(&rc, &work.orig);
    let p = cross::program("rust", "runtime/rust_main.rs", false, &[], ARGS, CODE);
    let (reference, _) = cross::unpatched_runs(arch, &old, &new, &exe, &p);
    assert_worked(&reference, &format!("{}: unpatched on 2.36", arch.debian));
    let out = work.patched.join("rust");
    let plan = cross::patch(&exe, &out, "2.31");
    assert!(
        plan.contains("inject the startup shim"),
        "{}: {plan}",
        arch.debian
    );
    let (ok, check) = cross::loader_check(&out, "2.31");
    assert!(
        ok,
        "{}: patched, loader check at 2.31: {check}",
        arch.debian
    );
    for (label, rt) in [("2.31", &old), ("2.36", &new)] {
        assert_runs_like(
            arch,
            rt,
            &out,
            &reference,
            &format!("{}: patched to 2.31, run on {label}", arch.debian),
        );
    }
    format!(
        "{}: rust_main.rs built by {}'s rustc {} ({}), unpatched on 2.31: GLIBC_2.34 not found; patched to 2.31 (startup shim; polyfills and wrappers: {}), loader check at 2.31 passes; exit {CODE} and the same {} stdout lines on glibc 2.31 and 2.36, LD_BIND_NOW=1 and lazy",
        arch.debian,
        rc.suite,
        rc.release,
        rc.target,
        linked(&plan).join(", "),
        reference.stdout.lines().count()
    )
}

#[test]
fn aarch64_rust_runs_patched_on_glibc_2_31() {
    println!("{}", rust_runs_patched_on_2_31(&AARCH64));
}

#[test]
fn i386_rust_runs_patched_on_glibc_2_31() {
    println!("{}", rust_runs_patched_on_2_31(&I386));
}

#[test]
fn armhf_rust_runs_patched_on_glibc_2_31() {
    println!("{}", rust_runs_patched_on_2_31(&ARMHF));
}

/// A Rust program's PLT call stub of `__libc_start_main` is `addis r12,r2,ha;
/// ld r12,lo(r12)`: its PLT slot lies more than 32 KiB below the TOC pointer.
#[test]
fn ppc64el_rust_runs_patched_on_glibc_2_31() {
    println!("{}", rust_runs_patched_on_2_31(&PPC64EL));
}

#[test]
fn s390x_rust_runs_patched_on_glibc_2_31() {
    println!("{}", rust_runs_patched_on_2_31(&S390X));
}

/// riscv64: built by trixie's rustc, patched to 2.27, checked by the loader at 2.27 and
/// run on trixie's 2.41.
#[test]
fn riscv64_rust_patched_to_2_27_passes_the_loader_check_and_runs_the_same_on_2_41() {
    let arch = &RISCV64;
    let rc = rustc_for(arch);
    let new = common::fetch_old_runtime("trixie", arch.debian).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(new.glibc_version, "2.41");
    let work = cross::Workdir::new();
    let exe = build(&rc, &work.orig);
    let reference = cross::run(arch, &new, &exe, ARGS);
    assert_worked(&reference, "riscv64: unpatched on 2.41");
    let (ok, unpatched_check) = cross::loader_check(&exe, "2.27");
    assert!(
        !ok && unpatched_check.contains("version GLIBC_2.34 not found"),
        "riscv64: the unpatched program must fail the 2.27 loader check: {unpatched_check}"
    );
    let out = work.patched.join("rust");
    let plan = cross::patch(&exe, &out, "2.27");
    assert!(plan.contains("inject the startup shim"), "riscv64: {plan}");
    let (ok, check) = cross::loader_check(&out, "2.27");
    assert!(ok, "riscv64: patched to 2.27, loader check: {check}");
    assert_runs_like(
        arch,
        &new,
        &out,
        &reference,
        "riscv64: patched to 2.27, run on 2.41",
    );
    println!(
        "riscv64: rust_main.rs built by {}'s rustc {} ({}), unpatched: the 2.27 loader check fails (GLIBC_2.34 not found); patched to 2.27 (startup shim; polyfills and wrappers: {}), loader check at 2.27 passes; exit {CODE} and the same {} stdout lines on glibc 2.41, LD_BIND_NOW=1 and lazy",
        rc.suite,
        rc.release,
        rc.target,
        linked(&plan).join(", "),
        reference.stdout.lines().count()
    );
}
