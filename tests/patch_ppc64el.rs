//! ppc64el (little-endian ELFv2): the programs of `testdata/runtime` (C with pthreads,
//! dlopen, math, memcpy, constructors and destructors; C++ with global constructors,
//! iostream and an exception; a shared library with its own constructor loaded by a
//! patched program) cross-compiled at test time with Debian's `powerpc64le-linux-gnu`
//! compilers, plus the constructor program linked with DT_RELR and as a position-dependent
//! executable, patched to glibc 2.31 (startup shim included) and run under qemu-user with
//! bullseye's glibc 2.31 and with bookworm's 2.36, LD_BIND_NOW=1. Exit code and output
//! must be those of the unpatched program on bookworm's 2.36 (for `ctor` also with lazy
//! binding through `.glink`). Without qemu: the committed fixture's `_start` branches to
//! the shim, and the shim on to the same PLT call stub.
//!
//! Bullseye's archive no longer carries ppc64el: `tools/old-glibc.sh` takes its 2.31
//! from bullseye's `libc6-ppc64el-cross` (the same glibc, built by Debian's
//! cross-toolchain). The runtimes are fetched by `.ci/run`, the compilers and qemu come
//! from its package list: a missing one fails the test.

mod common;

use std::path::Path;

use common::cross::{self, elfcompat, program, Program, PPC64EL};

/// What `check` and `patch --dry-run` say about a program that needs the shim.
fn assert_plan_names_the_shim(exe: &Path) {
    let check = elfcompat(&[
        "check".as_ref(),
        "--glibc".as_ref(),
        "2.31".as_ref(),
        exe.as_os_str(),
    ]);
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains("__libc_start_main")
            && text.contains("fixable")
            && text.contains("0 blocker"),
        "check: {text}"
    );
    let dry = elfcompat(&[
        "patch".as_ref(),
        "--glibc".as_ref(),
        "2.31".as_ref(),
        "--dry-run".as_ref(),
        exe.as_os_str(),
    ]);
    let text = String::from_utf8_lossy(&dry.stdout);
    assert!(
        dry.status.success() && text.contains("inject the startup shim"),
        "patch --dry-run: {text}{}",
        String::from_utf8_lossy(&dry.stderr)
    );
}

/// The variants of `ctor.c` ppc64el adds to the programs of `testdata/runtime`.
const CTOR_VARIANTS: &[Program] = &[
    // DT_RELR (GLIBC_ABI_DT_RELR, 2.36) expanded into R_PPC64_RELATIVE.
    program(
        "ctor_relr",
        "runtime/ctor.c",
        false,
        &["-Wl,-z,pack-relative-relocs"],
        &["hello"],
        7,
    ),
    // Position-dependent: `_start` sets r2 with `lis`, not from r12.
    program(
        "ctor_nopie",
        "runtime/ctor.c",
        false,
        &["-no-pie"],
        &["hello"],
        7,
    ),
];

#[test]
fn ppc64el_programs_run_patched_on_glibc_2_31() {
    let arch = &PPC64EL;
    let programs = cross::runtime_programs_with(CTOR_VARIANTS);
    let (old, new) = cross::bullseye_and_bookworm(arch);
    let work = cross::Workdir::new();
    work.build_libruntime(arch, "2.31");
    let mut lines = Vec::new();
    for p in &programs {
        let (name, args) = (p.name, p.args);
        let exe = work.build(arch, p);
        let (reference, _) = cross::unpatched_runs(arch, &old, &new, &exe, p);
        assert_plan_names_the_shim(&exe);
        let out = work.patched.join(name);
        cross::patch(&exe, &out, "2.31");
        cross::assert_patched_runs_like(arch, &old, &new, &out, p, &reference, |label, rt| {
            if name == "ctor" {
                // Lazy binding: the PLT entries still resolve through `.glink`.
                let lazy = cross::run_env(arch, rt, &out, args, &["LD_BIND_NOT=1"]);
                cross::assert_same_run(
                    &lazy,
                    &reference,
                    &format!("{name} patched to 2.31, run lazily on {label}"),
                );
            }
        });
        lines.push(format!(
            "ppc64el: {name} patched to 2.31: same exit code and output on glibc 2.31 and 2.36"
        ));
    }
    for l in &lines {
        println!("{l}");
    }
    assert_eq!(lines.len(), programs.len());
}

/// The first `b` (I-form, AA = LK = 0) in `words` at `addr`: (its address, its target).
fn first_b(words: &[u8], addr: u64) -> Option<(u64, u64)> {
    words.chunks_exact(4).enumerate().find_map(|(i, w)| {
        let insn = u32::from_le_bytes(w.try_into().ok()?);
        if insn & 0xfc00_0003 != 0x4800_0000 {
            return None;
        }
        let pc = addr + 4 * i as u64;
        let d = i64::from(((insn & 0x03ff_fffc) << 6) as i32 >> 6);
        Some((pc, (pc as i64 + d) as u64))
    })
}

/// The bytes at `addr` of the section that holds it.
fn bytes_at<'a>(file: &object::File<'a>, addr: u64, len: u64) -> &'a [u8] {
    use object::{Object, ObjectSection};
    let s = file
        .sections()
        .find(|s| s.address() <= addr && addr + len <= s.address() + s.size())
        .unwrap_or_else(|| panic!("no section holds {addr:#x}"));
    let data = s.data().expect("section data");
    let at = (addr - s.address()) as usize;
    &data[at..at + len as usize]
}

/// Without qemu: in the committed fixture (Debian 12's ppc64el gcc), `_start`'s branch to
/// the PLT call stub of `__libc_start_main` becomes a branch to the shim, which starts by
/// reading `stinfo->init` (`ld r0,16(r8)`) and branches on to the same stub.
#[test]
fn ppc64le_start_branches_through_the_shim_to_the_same_stub() {
    use object::{Object, ObjectSection};
    let tmp = tempfile::tempdir().expect("tempdir");
    let input = common::crate_root().join("testdata/bin/ppc64le/uselib");
    let out = tmp.path().join("uselib");
    cross::patch(&input, &out, "2.31");
    let before = std::fs::read(&input).expect("fixture");
    let after = std::fs::read(&out).expect("patched");
    let before = object::File::parse(&*before).expect("parse fixture");
    let after = object::File::parse(&*after).expect("parse patched");
    let entry = before.entry();
    assert_eq!(after.entry(), entry);
    let (call, stub) = first_b(bytes_at(&before, entry, 64), entry).expect("_start's b");
    let (call_after, shim) = first_b(bytes_at(&after, entry, 64), entry).expect("b after");
    assert_eq!(call_after, call);
    let section = after
        .section_by_name(".elfcompat.start")
        .expect("the shim's section");
    assert_eq!(shim, section.address(), "_start branches to the shim");
    let code = section.data().expect("shim code");
    assert_eq!(&code[..4], &0xe808_0010u32.to_le_bytes(), "ld r0,16(r8)");
    let (_, on_to) = first_b(code, shim).expect("the shim's b");
    assert_eq!(on_to, stub, "the shim goes on to _start's PLT call stub");
    // The stub itself is unchanged.
    assert_eq!(bytes_at(&after, stub, 16), bytes_at(&before, stub, 16));
}
