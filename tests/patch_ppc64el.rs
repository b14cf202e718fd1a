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

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

const TRIPLET: &str = "powerpc64le-linux-gnu";
const QEMU: &str = "qemu-ppc64le";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

#[derive(Debug, PartialEq)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run `prog` under qemu with a Debian runtime's loader and libraries, the program's own
/// directory searched first (for `libruntime.so`).
fn run(rt: &common::OldRuntime, prog: &Path, args: &[&str]) -> Run {
    run_binding(rt, prog, args, "LD_BIND_NOW=1")
}

/// `run` with the loader's binding mode in `env` (`LD_BIND_NOW=1`, or `LD_BIND_NOT=1` for
/// lazy binding through `.glink`).
fn run_binding(rt: &common::OldRuntime, prog: &Path, args: &[&str], env: &str) -> Run {
    let dir = prog.parent().expect("program directory");
    let o = Command::new(QEMU)
        .args(["-E", env])
        .arg(&rt.loader)
        .arg("--inhibit-cache")
        .arg("--library-path")
        .arg(format!("{}:{}", dir.display(), rt.libpath))
        .arg(prog)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{QEMU}: {e}"));
    Run {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

fn elfcompat(args: &[&OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_elfcompat"))
        .args(args)
        .output()
        .expect("elfcompat")
}

fn patch(input: &Path, output: &Path, glibc: &str) {
    let o = elfcompat(&[
        "patch".as_ref(),
        "--glibc".as_ref(),
        glibc.as_ref(),
        input.as_os_str(),
        "-o".as_ref(),
        output.as_os_str(),
    ]);
    assert!(
        o.status.success(),
        "patch {} to {glibc}: {}{}",
        input.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn compile(cc: &str, args: &[&OsStr]) {
    let o = Command::new(cc)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cc} (install it through .ci/run): {e}"));
    assert!(
        o.status.success(),
        "{cc} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A program of `testdata/runtime`: name, source, C++?, flags after the source, arguments,
/// and the exit code that says it worked (`dlopen.c` and `ctor.c` exit with 3 and 7).
type Program = (
    &'static str,
    &'static str,
    bool,
    &'static [&'static str],
    &'static [&'static str],
    i32,
);

const PROGRAMS: &[Program] = &[
    ("pthreads", "pthreads.c", false, &["-pthread"], &[], 0),
    ("dlopen", "dlopen.c", false, &["-ldl"], &["0.75"], 3),
    ("math", "math.c", false, &["-lm"], &["2.5", "0.3"], 0),
    (
        "memcpy",
        "memcpy.c",
        false,
        &["-fno-builtin-memcpy"],
        &[],
        0,
    ),
    ("ctor", "ctor.c", false, &[], &["hello"], 7),
    // DT_RELR (GLIBC_ABI_DT_RELR, 2.36) expanded into R_PPC64_RELATIVE.
    (
        "ctor_relr",
        "ctor.c",
        false,
        &["-Wl,-z,pack-relative-relocs"],
        &["hello"],
        7,
    ),
    // Position-dependent: `_start` sets r2 with `lis`, not from r12.
    ("ctor_nopie", "ctor.c", false, &["-no-pie"], &["hello"], 7),
    ("cxx", "cxx.cc", true, &[], &["not-a-number"], 0),
    (
        "shlib",
        "shlib_main.c",
        false,
        &["-L", ".", "-lruntime", "-Wl,-rpath,$ORIGIN"],
        &[],
        0,
    ),
];

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

#[test]
fn ppc64el_programs_run_patched_on_glibc_2_31() {
    let old = common::fetch_old_runtime("bullseye", "ppc64el").unwrap_or_else(|e| panic!("{e}"));
    let new = common::fetch_old_runtime("bookworm", "ppc64el").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        (old.glibc_version.as_str(), new.glibc_version.as_str()),
        ("2.31", "2.36")
    );
    let tmp = tempfile::tempdir().expect("tempdir");
    let orig = tmp.path().join("orig");
    let patched = tmp.path().join("patched");
    std::fs::create_dir_all(&orig).expect("mkdir");
    std::fs::create_dir_all(&patched).expect("mkdir");
    let src = root().join("testdata/runtime");
    let gcc = format!("{TRIPLET}-gcc");
    let gxx = format!("{TRIPLET}-g++");
    let lib = orig.join("libruntime.so");
    compile(
        &gcc,
        &[
            "-O2".as_ref(),
            "-fPIC".as_ref(),
            "-shared".as_ref(),
            "-pthread".as_ref(),
            "-Wl,-soname,libruntime.so".as_ref(),
            "-o".as_ref(),
            lib.as_os_str(),
            src.join("libruntime.c").as_os_str(),
            "-ldl".as_ref(),
        ],
    );
    patch(&lib, &patched.join("libruntime.so"), "2.31");
    let mut lines = Vec::new();
    for &(name, file, cxx, flags, args, code) in PROGRAMS {
        let exe = orig.join(name);
        let source = src.join(file);
        let mut cmd: Vec<&OsStr> = vec![
            "-O2".as_ref(),
            "-I".as_ref(),
            src.as_os_str(),
            "-o".as_ref(),
            exe.as_os_str(),
            source.as_os_str(),
        ];
        // `-L .` means the directory of the original library.
        cmd.extend(flags.iter().map(|f| {
            if *f == "." {
                orig.as_os_str()
            } else {
                f.as_ref()
            }
        }));
        compile(if cxx { &gxx } else { &gcc }, &cmd);
        let reference = run(&new, &exe, args);
        assert_eq!(
            reference.code,
            Some(code),
            "{name} unpatched on 2.36: {}",
            reference.stderr
        );
        let unpatched_old = run(&old, &exe, args);
        assert!(
            unpatched_old.stderr.contains("GLIBC_2.34' not found"),
            "{name}: the unpatched program must fail on 2.31, got {:?} {}",
            unpatched_old.code,
            unpatched_old.stderr
        );
        assert_plan_names_the_shim(&exe);
        let out = patched.join(name);
        patch(&exe, &out, "2.31");
        for (label, rt) in [("2.31", &old), ("2.36", &new)] {
            let r = run(rt, &out, args);
            assert_eq!(
                (r.code, r.stdout.as_str()),
                (reference.code, reference.stdout.as_str()),
                "{name} patched to 2.31, run on {label}: {}",
                r.stderr
            );
            if name == "ctor" {
                // Lazy binding: the PLT entries still resolve through `.glink`.
                let lazy = run_binding(rt, &out, args, "LD_BIND_NOT=1");
                assert_eq!(
                    (lazy.code, lazy.stdout.as_str()),
                    (reference.code, reference.stdout.as_str()),
                    "{name} patched to 2.31, run lazily on {label}: {}",
                    lazy.stderr
                );
            }
            if !cxx {
                // The C programs print the glibc they run on.
                assert!(
                    r.stderr.contains(&format!("running on glibc {label}")),
                    "{name} on {label}: {}",
                    r.stderr
                );
            }
        }
        lines.push(format!(
            "ppc64el: {name} patched to 2.31: same exit code and output on glibc 2.31 and 2.36"
        ));
    }
    for l in &lines {
        println!("{l}");
    }
    assert_eq!(lines.len(), PROGRAMS.len());
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
    let input = root().join("testdata/bin/ppc64le/uselib");
    let out = tmp.path().join("uselib");
    patch(&input, &out, "2.31");
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
