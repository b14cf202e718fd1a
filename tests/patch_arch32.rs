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
        let name = p.name;
        let exe = work.build(arch, p);
        let (reference, _) = cross::unpatched_runs(arch, &old, &new, &exe, p);
        let out = work.patched.join(name);
        cross::patch(&exe, &out, "2.31");
        cross::assert_patched_runs_like(arch, &old, &new, &out, p, &reference, |_, _| {});
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
