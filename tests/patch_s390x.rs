//! s390x (64-bit, big-endian): the programs of `testdata/runtime` (C with pthreads,
//! dlopen, math, memcpy, constructors and destructors; C++ with global constructors,
//! iostream and an exception; a shared library with its own constructor loaded by a
//! patched program) cross-compiled at test time with Debian's `s390x-linux-gnu` compilers
//! and patched to glibc 2.31, startup shim included, then run under qemu-user with
//! LD_BIND_NOW=1:
//! - on bullseye's glibc 2.31, where the unpatched program fails for `GLIBC_2.34`: the
//!   patched one has the exit code and stdout of the unpatched program on bookworm's 2.36,
//!   so every constructor the programs count ran, exactly once, through the `init` the
//!   shim hands `__libc_start_main@GLIBC_2.2` (glibc 2.31 runs no constructor of the
//!   executable otherwise);
//! - on bookworm's 2.36: the same. Its `_start` now calls the shim (checked in the file),
//!   and `testdata/start_probe` (preloaded, defining `__libc_start_main@GLIBC_2.2` in
//!   front of glibc's) shows that `init` arrives set;
//! - `verify --loader-check` at 2.31 (stub libraries): the unpatched program fails, the
//!   patched one passes.
//!
//! Bullseye's archive no longer carries s390x: `tools/old-glibc.sh` takes its 2.31 from
//! bullseye's `libc6-s390x-cross` (the same glibc, built by Debian's cross-toolchain).
//! The runtimes are fetched by `.ci/run`, the compilers and qemu come from its package
//! list: under CI a missing one fails the test.

mod common;

use std::path::Path;

use common::cross::{self, compile, elfcompat, program, Program, S390X};
use object::elf;
use object::read::elf::{FileHeader, SectionHeader};

/// The target of the first `brasl %r14` within 64 bytes of the entry point, and the
/// address range of the shim's section (`.elfcompat.start`), if any.
fn start_call(path: &Path) -> (u64, Option<(u64, u64)>) {
    let data = std::fs::read(path).expect("read");
    let header = elf::FileHeader64::<object::BigEndian>::parse(&*data).expect("ELF64 BE");
    let endian = header.endian().expect("endian");
    let sections = header.sections(endian, &*data).expect("sections");
    let entry = header.e_entry(endian);
    let mut shim = None;
    let mut target = None;
    for s in sections.iter() {
        let name = sections.section_name(endian, s).expect("name");
        let (addr, size) = (s.sh_addr(endian), s.sh_size(endian));
        if name == b".elfcompat.start" {
            shim = Some((addr, addr + size));
        }
        if s.sh_type(endian) == elf::SHT_PROGBITS && addr <= entry && entry < addr + size {
            let bytes = s.data(endian, &*data).expect("data");
            let start = (entry - addr) as usize;
            target = (start..start + 64).step_by(2).find_map(|i| {
                let insn = bytes.get(i..i + 6)?;
                (insn[..2] == [0xc0, 0xe5]).then(|| {
                    let halfwords = i32::from_be_bytes(insn[2..6].try_into().expect("4 bytes"));
                    (addr as i64 + i as i64 + 2 * i64::from(halfwords)) as u64
                })
            });
        }
    }
    (target.expect("a brasl in _start"), shim)
}

/// The variant of `ctor.c` s390x adds to the programs of `testdata/runtime`.
const CTOR_VARIANTS: &[Program] = &[program(
    "ctor-nopie",
    "runtime/ctor.c",
    false,
    &["-no-pie"],
    &["hello"],
    7,
)];

#[test]
fn s390x_programs_run_patched_to_glibc_2_31() {
    let arch = &S390X;
    let (gcc, gxx) = (arch.cc(), arch.cxx());
    if !(common::have_tool(&gcc) && common::have_tool(&gxx) && common::have_tool(arch.qemu)) {
        eprintln!("skipped: install gcc-s390x-linux-gnu g++-s390x-linux-gnu qemu-user");
        return;
    }
    let programs = cross::runtime_programs_with(CTOR_VARIANTS);
    let (old, new) = cross::bullseye_and_bookworm(arch);
    let work = cross::Workdir::new();
    work.build_libruntime(arch, "2.31");
    let probe_dir = cross::testdata().join("start_probe");
    let probe = work.tmp.path().join("start_probe.so");
    let map = format!(
        "-Wl,--version-script={}",
        probe_dir.join("start_probe.map").display()
    );
    compile(
        &gcc,
        &[
            "-O2".as_ref(),
            "-fPIC".as_ref(),
            "-shared".as_ref(),
            "-DOLD_VERSION=\"GLIBC_2.2\"".as_ref(),
            map.as_ref(),
            "-o".as_ref(),
            probe.as_os_str(),
            probe_dir.join("start_probe.c").as_os_str(),
            "-ldl".as_ref(),
        ],
    );
    let preload = format!("LD_PRELOAD={}", probe.display());
    let mut done = Vec::new();
    for p in &programs {
        let (name, args) = (p.name, p.args);
        let exe = work.build(arch, p);
        let (reference, unpatched_old) = cross::unpatched_runs(arch, &old, &new, &exe, p);
        assert_ne!(
            unpatched_old.code, reference.code,
            "{name}: the unpatched program must fail on 2.31: {}",
            unpatched_old.stderr
        );
        let (ok, report) = cross::loader_check(&exe, "2.31");
        assert!(
            !ok && report.contains("GLIBC_2.34 not found"),
            "{name}: the unpatched program must fail the 2.31 loader check: {report}"
        );

        let out = work.patched.join(name);
        cross::patch(&exe, &out, "2.31");
        let (ok, report) = cross::loader_check(&out, "2.31");
        assert!(ok, "{name} patched to 2.31: loader check: {report}");
        let (target, shim) = start_call(&out);
        let (lo, hi) = shim.unwrap_or_else(|| panic!("{name}: no .elfcompat.start section"));
        assert!(
            (lo..hi).contains(&target),
            "{name}: _start calls {target:#x}, not the shim at {lo:#x}..{hi:#x}"
        );
        cross::assert_patched_runs_like(arch, &old, &new, &out, p, &reference, |_, _| {});
        let probed = cross::run_env(arch, &new, &out, args, &["LD_BIND_NOW=1", &preload]);
        cross::assert_same_run(
            &probed,
            &reference,
            &format!("{name} patched, with the start probe"),
        );
        assert!(
            probed.stderr.contains("start probe: init given"),
            "{name}: the shim must hand __libc_start_main an init: {}",
            probed.stderr
        );
        done.push(name);
        println!("s390x: {name} patched to 2.31: same exit code and output on glibc 2.31 and 2.36 (unpatched: fails on 2.31); passes the 2.31 loader check; _start through the shim, init handed to __libc_start_main");
    }
    assert_eq!(done.len(), programs.len());
}

/// What `check` and `patch --dry-run` say for s390x: `__libc_start_main` lowered with the
/// startup shim; a file with a SysV hash table (8-byte entries on s390x, which the
/// rewriter cannot rebuild) refused with that reason before a byte is written.
#[test]
fn s390x_check_and_dry_run_name_the_shim() {
    let gcc = S390X.cc();
    if !common::have_tool(&gcc) {
        eprintln!("skipped: install gcc-s390x-linux-gnu");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = cross::testdata().join("runtime/ctor.c");
    let exe = tmp.path().join("ctor");
    let both = tmp.path().join("ctor-both");
    let inc = cross::testdata().join("runtime");
    for (out, extra) in [
        (&exe, "-Wl,--hash-style=gnu"),
        (&both, "-Wl,--hash-style=both"),
    ] {
        compile(
            &gcc,
            &[
                "-O2".as_ref(),
                "-I".as_ref(),
                inc.as_os_str(),
                extra.as_ref(),
                "-o".as_ref(),
                out.as_os_str(),
                src.as_os_str(),
            ],
        );
    }
    let text = |o: std::process::Output| (o.status.code(), cross::text(&o));
    let (code, out) = text(elfcompat(&[
        "check".as_ref(),
        "--glibc".as_ref(),
        "2.31".as_ref(),
        exe.as_os_str(),
    ]));
    assert_eq!(code, Some(1), "{out}");
    assert!(
        out.contains("__libc_start_main") && out.contains("fixable: re-point to GLIBC_2.2"),
        "{out}"
    );
    let (code, out) = text(elfcompat(&[
        "patch".as_ref(),
        "--dry-run".as_ref(),
        "--glibc".as_ref(),
        "2.31".as_ref(),
        exe.as_os_str(),
    ]));
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("startup   inject the startup shim") && !out.contains("BLOCKER"),
        "{out}"
    );
    let before = std::fs::read(&both).expect("read");
    let (code, out) = text(elfcompat(&[
        "patch".as_ref(),
        "--in-place".as_ref(),
        "--glibc".as_ref(),
        "2.31".as_ref(),
        both.as_os_str(),
    ]));
    assert_ne!(code, Some(0), "{out}");
    assert!(
        out.contains("BLOCKER") && out.contains("s390x's DT_HASH"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(&both).expect("read"),
        before,
        "refused, not written"
    );
}
