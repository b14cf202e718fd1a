//! 32-bit architectures: the programs of `tests/patch_runtime.rs` (C with pthreads,
//! dlopen, math, memcpy, constructors and destructors; C++ with global constructors,
//! iostream and an exception; a shared library with its own constructor loaded by a
//! patched program) cross-compiled at test time with Debian's cross compilers, patched to
//! glibc 2.31 (startup shim included) for i386 and armhf, and run under qemu-user with bullseye's libc6 of
//! that architecture (2.31) and with bookworm's (2.36), LD_BIND_NOW=1. Exit code and
//! output must be those of the unpatched program on bookworm's 2.36.
//!
//! The runtimes come from `tools/old-glibc.sh` (fetched by `.ci/run`), the compilers and
//! qemu from `.ci/run`'s package list: a missing one fails the test.

mod common;

use common::cross::{self, Arch, ARMHF, I386, RUNTIME_PROGRAMS};

/// Build, patch and run every program for `arch`; returns one line per program.
fn programs_run_patched(arch: &Arch) -> Vec<String> {
    let (old, new) = cross::bullseye_and_bookworm(arch);
    let work = cross::Workdir::new();
    work.build_libruntime(arch, "2.31");
    let mut lines = Vec::new();
    for p in RUNTIME_PROGRAMS {
        let (name, args) = (p.name, p.args);
        let exe = work.build(arch, p);
        let reference = cross::run(arch, &new, &exe, args);
        assert_eq!(
            reference.code,
            Some(p.code),
            "{name} unpatched on 2.36: {}",
            reference.stderr
        );
        let unpatched_old = cross::run(arch, &old, &exe, args);
        assert!(
            unpatched_old.stderr.contains("GLIBC_2.34' not found"),
            "{name}: the unpatched program must fail on 2.31, got {:?} {}",
            unpatched_old.code,
            unpatched_old.stderr
        );
        let out = work.patched.join(name);
        cross::patch(&exe, &out, "2.31");
        for (label, rt) in [("2.31", &old), ("2.36", &new)] {
            let r = cross::run(arch, rt, &out, args);
            cross::assert_same_run(
                &r,
                &reference,
                &format!("{name} patched to 2.31, run on {label}"),
            );
            if !p.cxx {
                cross::assert_ran_on(&r, label, &format!("{name} on {label}"));
            }
        }
        lines.push(format!(
            "{}: {name} patched to 2.31: same exit code and output on glibc 2.31 and 2.36",
            arch.debian
        ));
    }
    lines
}

#[test]
fn i386_programs_run_patched_on_glibc_2_31() {
    let lines = programs_run_patched(&I386);
    for l in &lines {
        println!("{l}");
    }
    assert_eq!(lines.len(), RUNTIME_PROGRAMS.len());
}

/// Debian's armhf start code is Thumb: `_start`'s `blx __libc_start_main@plt` becomes a
/// `blx` to the (ARM) shim.
#[test]
fn armhf_programs_run_patched_on_glibc_2_31() {
    let lines = programs_run_patched(&ARMHF);
    for l in &lines {
        println!("{l}");
    }
    assert_eq!(lines.len(), RUNTIME_PROGRAMS.len());
}
