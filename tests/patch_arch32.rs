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

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One architecture: its cross compilers, its qemu and its Debian name.
struct Arch {
    triplet: &'static str,
    qemu: &'static str,
    debian: &'static str,
}

const I386: Arch = Arch {
    triplet: "i686-linux-gnu",
    qemu: "qemu-i386",
    debian: "i386",
};

const ARMHF: Arch = Arch {
    triplet: "arm-linux-gnueabihf",
    qemu: "qemu-arm",
    debian: "armhf",
};

#[derive(Debug, PartialEq)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run `prog` under qemu with a Debian runtime's loader and libraries, the program's own
/// directory searched first (for `libruntime.so`).
fn run(arch: &Arch, rt: &common::OldRuntime, prog: &Path, args: &[&str]) -> Run {
    let dir = prog.parent().expect("program directory");
    let o = Command::new(arch.qemu)
        .args(["-E", "LD_BIND_NOW=1"])
        .arg(&rt.loader)
        .arg("--inhibit-cache")
        .arg("--library-path")
        .arg(format!("{}:{}", dir.display(), rt.libpath))
        .arg(prog)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{}: {e}", arch.qemu));
    Run {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into(),
        stderr: String::from_utf8_lossy(&o.stderr).into(),
    }
}

fn patch(input: &Path, output: &Path, glibc: &str) {
    let o = Command::new(env!("CARGO_BIN_EXE_elfcompat"))
        .args(["patch", "--glibc", glibc])
        .arg(input)
        .arg("-o")
        .arg(output)
        .output()
        .expect("elfcompat");
    assert!(
        o.status.success(),
        "patch {} to {glibc}: {}{}",
        input.display(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn compile(cc: &str, args: &[&std::ffi::OsStr]) {
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

/// Build, patch and run every program for `arch`; returns one line per program.
fn programs_run_patched(arch: &Arch) -> Vec<String> {
    let old = common::fetch_old_runtime("bullseye", arch.debian).unwrap_or_else(|e| panic!("{e}"));
    let new = common::fetch_old_runtime("bookworm", arch.debian).unwrap_or_else(|e| panic!("{e}"));
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
    let gcc = format!("{}-gcc", arch.triplet);
    let gxx = format!("{}-g++", arch.triplet);
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
        let mut cmd: Vec<&std::ffi::OsStr> = vec![
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
        let reference = run(arch, &new, &exe, args);
        assert_eq!(
            reference.code,
            Some(code),
            "{name} unpatched on 2.36: {}",
            reference.stderr
        );
        let unpatched_old = run(arch, &old, &exe, args);
        assert!(
            unpatched_old.stderr.contains("GLIBC_2.34' not found"),
            "{name}: the unpatched program must fail on 2.31, got {:?} {}",
            unpatched_old.code,
            unpatched_old.stderr
        );
        let out = patched.join(name);
        patch(&exe, &out, "2.31");
        for (label, rt) in [("2.31", &old), ("2.36", &new)] {
            let r = run(arch, rt, &out, args);
            assert_eq!(
                (r.code, r.stdout.as_str()),
                (reference.code, reference.stdout.as_str()),
                "{name} patched to 2.31, run on {label}: {}",
                r.stderr
            );
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
    assert_eq!(lines.len(), PROGRAMS.len());
}

/// Debian's armhf start code is Thumb: `_start`'s `blx __libc_start_main@plt` becomes a
/// `blx` to the (ARM) shim.
#[test]
fn armhf_programs_run_patched_on_glibc_2_31() {
    let lines = programs_run_patched(&ARMHF);
    for l in &lines {
        println!("{l}");
    }
    assert_eq!(lines.len(), PROGRAMS.len());
}
