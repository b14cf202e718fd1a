//! riscv64: the programs of `tests/patch_runtime.rs` (C with pthreads, dlopen, math,
//! memcpy, constructors and destructors; C++ with global constructors, iostream and an
//! exception; a shared library with its own constructor loaded by a patched program)
//! cross-compiled at test time with Debian 12's `riscv64-linux-gnu` compilers (glibc
//! 2.36), patched to glibc 2.27 (riscv64's first glibc; startup shim included).
//!
//! Debian has no riscv64 glibc older than trixie's 2.41 (bookworm's riscv64 is on
//! debian-ports only, which `tools/debian-fetch.sh` does not reach), so no old glibc runs
//! the shim here. The evidence is instead:
//! - `verify --glibc 2.27 --loader-check` passes on every patched file (the cross
//!   loader with stub libraries of glibc 2.27) and fails on the unpatched one;
//! - each patched program runs under qemu-user on trixie's libc6 (2.41), LD_BIND_NOW=1
//!   and lazily, with the exit code and output of the unpatched program there:
//!   constructors run exactly once on the new glibc too, through the shim's `init`;
//! - `own_init` (testdata/riscv64) has its own `_start` passing a non-NULL `init`: the
//!   shim must leave it alone;
//! - `ctor_norelax` is linked with `--no-relax`: `_start` calls through `auipc ra; jalr ra`
//!   instead of a relaxed `jal`;
//! - `far` (testdata/riscv64) is larger than a `jal` reaches: the shim, at the end of the
//!   file, is reached from the PLT stub;
//! - the shim's instructions are decoded back in `patch::startup::riscv64`'s unit tests.
//!
//! The runtime comes from `tools/old-glibc.sh` (fetched by `.ci/run`), the compilers,
//! their cross libc (the loader `--loader-check` runs) and qemu from `.ci/run`'s package
//! list: a missing one fails the test.

mod common;

use std::path::Path;
use std::process::Command;

use common::cross::{self, compile, elfcompat, program, text, Program, RISCV64};

/// The variant of `ctor.c` riscv64 adds to the programs of `testdata/runtime`.
const CTOR_VARIANTS: &[Program] = &[program(
    "ctor_norelax",
    "runtime/ctor.c",
    false,
    &["-Wl,--no-relax"],
    &["hello"],
    7,
)];

/// riscv64's own programs (testdata/riscv64), run after those of `testdata/runtime`.
const OWN_PROGRAMS: &[Program] = &[
    program("far", "riscv64/far.c", false, &[], &[], 0),
    program(
        "own_init",
        "riscv64/own_init.c",
        false,
        &["-nostartfiles"],
        &["x", "y"],
        0,
    ),
];

fn trixie() -> common::OldRuntime {
    let rt = common::fetch_old_runtime("trixie", "riscv64").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(rt.glibc_version, "2.41");
    rt
}

/// `_start`'s call of `__libc_start_main@plt`, as objdump shows it: `jal` after the
/// linker's relaxation, `jalr` (after `auipc ra`) with `--no-relax`.
fn start_call(exe: &Path) -> String {
    let o = Command::new(format!("{}-objdump", RISCV64.triplet))
        .args(["-d", "--no-show-raw-insn"])
        .arg(exe)
        .output()
        .expect("objdump (binutils-riscv64-linux-gnu, with the cross compiler)");
    let dis = String::from_utf8_lossy(&o.stdout);
    let start = dis.split("<_start>:").nth(1).expect("_start");
    start
        .lines()
        .find(|l| l.contains("<__libc_start_main@plt>"))
        .map(|l| l.split_whitespace().nth(1).unwrap_or("").to_string())
        .unwrap_or_default()
}

#[test]
fn riscv64_programs_patched_to_2_27_pass_the_loader_check_and_run_the_same_on_2_41() {
    let arch = &RISCV64;
    let mut programs = cross::runtime_programs_with(CTOR_VARIANTS);
    programs.extend_from_slice(OWN_PROGRAMS);
    let new = trixie();
    let work = cross::Workdir::new();
    let patched_lib = work.build_libruntime(arch, "2.27");
    let (ok, out) = cross::loader_check(&patched_lib, "2.27");
    assert!(ok, "libruntime.so patched to 2.27: {out}");
    let mut lines = Vec::new();
    for p in &programs {
        let (name, args) = (p.name, p.args);
        let exe = work.build(arch, p);
        let call = start_call(&exe);
        let expected_call = if name == "ctor_norelax" {
            "jalr"
        } else {
            "jal"
        };
        assert_eq!(call, expected_call, "{name}: _start's call");
        let reference = cross::run(arch, &new, &exe, args);
        assert_eq!(
            reference.code,
            Some(p.code),
            "{name} unpatched on 2.41: {}",
            reference.stderr
        );
        let (ok, unpatched_check) = cross::loader_check(&exe, "2.27");
        assert!(
            !ok && unpatched_check.contains("version GLIBC_2.34 not found"),
            "{name}: the unpatched program must fail the 2.27 loader check: {unpatched_check}"
        );
        let out = work.patched.join(name);
        let plan = cross::patch(&exe, &out, "2.27");
        assert!(plan.contains("inject the startup shim"), "{name}: {plan}");
        if name == "far" {
            // The new PT_LOAD (the shim) lies beyond a `jal`'s ±1 MiB from `_start`.
            let size = std::fs::metadata(&out).expect("patched far").len();
            assert!(size > 3 << 20, "far: {size} bytes");
        }
        let (ok, check) = cross::loader_check(&out, "2.27");
        assert!(ok, "{name} patched to 2.27, loader check: {check}");
        for bind_now in [true, false] {
            let env: &[&str] = if bind_now { &["LD_BIND_NOW=1"] } else { &[] };
            let r = cross::run_env(arch, &new, &out, args, env);
            cross::assert_same_run(
                &r,
                &reference,
                &format!("{name} patched to 2.27, run on 2.41 (LD_BIND_NOW={bind_now})"),
            );
            if !p.cxx {
                cross::assert_ran_on(&r, "2.41", name);
            }
        }
        lines.push(format!(
            "riscv64: {name} ({call} in _start) patched to 2.27: loader check at 2.27 passes; same exit code and output on glibc 2.41"
        ));
    }
    for l in &lines {
        println!("{l}");
    }
    assert_eq!(lines.len(), programs.len());
}

/// `check` and `patch --dry-run` name the shim; below riscv64's first glibc (2.27)
/// `patch` refuses with that reason and writes nothing.
#[test]
fn riscv64_check_dry_run_and_the_2_27_floor() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let exe = tmp.path().join("ctor");
    let data = cross::testdata().join("runtime");
    compile(
        &RISCV64.cc(),
        &[
            "-O2".as_ref(),
            "-I".as_ref(),
            data.as_os_str(),
            "-o".as_ref(),
            exe.as_os_str(),
            data.join("ctor.c").as_os_str(),
        ],
    );
    let check = elfcompat(&[
        "check".as_ref(),
        "--glibc".as_ref(),
        "2.27".as_ref(),
        exe.as_os_str(),
    ]);
    let out = text(&check);
    assert_eq!(check.status.code(), Some(1), "{out}");
    assert!(
        out.contains("__libc_start_main") && out.contains("1 fixable"),
        "{out}"
    );
    assert!(!out.contains("blocker:"), "{out}");
    let dry = elfcompat(&[
        "patch".as_ref(),
        "--dry-run".as_ref(),
        "--glibc".as_ref(),
        "2.27".as_ref(),
        exe.as_os_str(),
    ]);
    let out = text(&dry);
    assert!(dry.status.success(), "{out}");
    assert!(
        out.contains("re-point  __libc_start_main            GLIBC_2.34 -> GLIBC_2.27")
            && out.contains("inject the startup shim"),
        "{out}"
    );
    let target = tmp.path().join("ctor-2.26");
    let low = elfcompat(&[
        "patch".as_ref(),
        "--glibc".as_ref(),
        "2.26".as_ref(),
        exe.as_os_str(),
        "-o".as_ref(),
        target.as_os_str(),
    ]);
    let out = text(&low);
    assert!(!low.status.success(), "{out}");
    assert!(
        out.contains("riscv64-linux-gnu has no glibc older than 2.27"),
        "{out}"
    );
    assert!(!target.exists(), "nothing written below 2.27");
}
