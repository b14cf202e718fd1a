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

use std::path::{Path, PathBuf};
use std::process::Command;

use object::elf;
use object::read::elf::{FileHeader, SectionHeader};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const GCC: &str = "s390x-linux-gnu-gcc";
const GXX: &str = "s390x-linux-gnu-g++";
const QEMU: &str = "qemu-s390x";

#[derive(Debug, PartialEq)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Run `prog` under qemu with a Debian runtime's loader and libraries, the program's own
/// directory searched first (for `libruntime.so`).
fn run(rt: &common::OldRuntime, prog: &Path, args: &[&str]) -> Run {
    run_with(rt, None, prog, args)
}

/// `run`, with a library preloaded.
fn run_with(rt: &common::OldRuntime, preload: Option<&Path>, prog: &Path, args: &[&str]) -> Run {
    let dir = prog.parent().expect("program directory");
    let mut cmd = Command::new(QEMU);
    cmd.args(["-E", "LD_BIND_NOW=1"]);
    if let Some(p) = preload {
        cmd.arg("-E").arg(format!("LD_PRELOAD={}", p.display()));
    }
    let o = cmd
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

fn elfcompat(args: &[&std::ffi::OsStr]) -> std::process::Output {
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

/// `verify --glibc 2.31 --loader-check`: (passed, output).
fn loader_check(prog: &Path) -> (bool, String) {
    let o = elfcompat(&[
        "verify".as_ref(),
        "--glibc".as_ref(),
        "2.31".as_ref(),
        "--loader-check".as_ref(),
        prog.as_os_str(),
    ]);
    (
        o.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        ),
    )
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
    ("ctor-nopie", "ctor.c", false, &["-no-pie"], &["hello"], 7),
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

#[test]
fn s390x_programs_run_patched_to_glibc_2_31() {
    if !(common::have_tool(GCC) && common::have_tool(GXX) && common::have_tool(QEMU)) {
        eprintln!("skipped: install gcc-s390x-linux-gnu g++-s390x-linux-gnu qemu-user");
        return;
    }
    let old = common::fetch_old_runtime("bullseye", "s390x").unwrap_or_else(|e| panic!("{e}"));
    let new = common::fetch_old_runtime("bookworm", "s390x").unwrap_or_else(|e| panic!("{e}"));
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
    let lib = orig.join("libruntime.so");
    compile(
        GCC,
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
    let probe_dir = root().join("testdata/start_probe");
    let probe = tmp.path().join("start_probe.so");
    let map = format!(
        "-Wl,--version-script={}",
        probe_dir.join("start_probe.map").display()
    );
    compile(
        GCC,
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
    let mut done = Vec::new();
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
        compile(if cxx { GXX } else { GCC }, &cmd);
        let reference = run(&new, &exe, args);
        assert_eq!(
            reference.code,
            Some(code),
            "{name} unpatched on 2.36: {}",
            reference.stderr
        );
        let unpatched_old = run(&old, &exe, args);
        assert!(
            unpatched_old.code != reference.code
                && unpatched_old.stderr.contains("GLIBC_2.34' not found"),
            "{name}: the unpatched program must fail on 2.31, got {:?} {}",
            unpatched_old.code,
            unpatched_old.stderr
        );
        let (ok, report) = loader_check(&exe);
        assert!(
            !ok && report.contains("GLIBC_2.34 not found"),
            "{name}: the unpatched program must fail the 2.31 loader check: {report}"
        );

        let out = patched.join(name);
        patch(&exe, &out, "2.31");
        let (ok, report) = loader_check(&out);
        assert!(ok, "{name} patched to 2.31: loader check: {report}");
        let (target, shim) = start_call(&out);
        let (lo, hi) = shim.unwrap_or_else(|| panic!("{name}: no .elfcompat.start section"));
        assert!(
            (lo..hi).contains(&target),
            "{name}: _start calls {target:#x}, not the shim at {lo:#x}..{hi:#x}"
        );
        for (label, rt) in [("2.31", &old), ("2.36", &new)] {
            let r = run(rt, &out, args);
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
        let probed = run_with(&new, Some(&probe), &out, args);
        assert_eq!(
            (probed.code, probed.stdout.as_str()),
            (reference.code, reference.stdout.as_str()),
            "{name} patched, with the start probe: {}",
            probed.stderr
        );
        assert!(
            probed.stderr.contains("start probe: init given"),
            "{name}: the shim must hand __libc_start_main an init: {}",
            probed.stderr
        );
        done.push(name);
        println!("s390x: {name} patched to 2.31: same exit code and output on glibc 2.31 and 2.36 (unpatched: fails on 2.31); passes the 2.31 loader check; _start through the shim, init handed to __libc_start_main");
    }
    assert_eq!(done.len(), PROGRAMS.len());
}

/// What `check` and `patch --dry-run` say for s390x: `__libc_start_main` lowered with the
/// startup shim; a file with a SysV hash table (8-byte entries on s390x, which the
/// rewriter cannot rebuild) refused with that reason before a byte is written.
#[test]
fn s390x_check_and_dry_run_name_the_shim() {
    if !common::have_tool(GCC) {
        eprintln!("skipped: install gcc-s390x-linux-gnu");
        return;
    }
    let tmp = tempfile::tempdir().expect("tempdir");
    let src = root().join("testdata/runtime/ctor.c");
    let exe = tmp.path().join("ctor");
    let both = tmp.path().join("ctor-both");
    let inc = root().join("testdata/runtime");
    for (out, extra) in [
        (&exe, "-Wl,--hash-style=gnu"),
        (&both, "-Wl,--hash-style=both"),
    ] {
        compile(
            GCC,
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
    let text = |o: std::process::Output| {
        (
            o.status.code(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    };
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
